import type { MysqlRecipeConfig } from './config.js';

/**
 * The SQL that differs between MariaDB 10.11 and MySQL 8, side by side. Everything else in the
 * recipe is flavor-neutral. Statements with `?` take values through the driver's escaping; none of
 * them is ever logged.
 */
export interface FlavorSql {
  /** One row: `read_only`, `position`. */
  state: string;
  replicaStatus: string;
  stopReplica: string;
  stopReplicaIo: string;
  startReplica: string;
  resetReplica: string;
  /** Values: host, port, user, password. */
  changeSource: string;
  /** Value: the position to resume from (a restored backup's). */
  setResumePosition: string;
  /** Resume from everything this server has, whether it wrote or replicated it (a former primary). */
  resumeFromOwnHistory: string | null;
  readOnly(on: boolean): string;
  /** Switches the source side of semi-synchronous replication on or off. */
  semiSyncSource(on: boolean): string;
  /** One row with `file`: the current binary log. */
  binlogFile: string;
  /** Server options that turn on binary logging with GTIDs. */
  serverOptions(serverId: number): string[];
  /** Grants of each role; `%s` is the quoted account. */
  grants: Record<'app' | 'replication' | 'backup' | 'monitor', (db: string, account: string) => string>;
  /** Root: socket login for the OS user plus the password (never shown), `?` is the password. */
  rootAccount: string;
}

/** Replica status, normalised over the two flavors' column names. */
export interface ReplicaStatus {
  ioRunning: boolean;
  sqlRunning: boolean;
  sourceHost: string;
  sourcePort: number;
  lagSeconds: number | null;
  lastError: string | null;
  /** Everything received has been applied. */
  caughtUp: boolean;
  /** MariaDB: the GTID position received into the relay log (`Gtid_IO_Pos`), applied or not. */
  receivedPosition: string | null;
}

export function normaliseReplicaStatus(row: Record<string, unknown>): ReplicaStatus {
  const pick = (...names: string[]) => names.map((n) => row[n]).find((v) => v !== undefined);
  const io = String(pick('Slave_IO_Running', 'Replica_IO_Running') ?? 'No');
  const sql = String(pick('Slave_SQL_Running', 'Replica_SQL_Running') ?? 'No');
  const lag = pick('Seconds_Behind_Master', 'Seconds_Behind_Source');
  const errors = [pick('Last_IO_Error', 'Last_IO_Error'), pick('Last_SQL_Error')].filter((e) => typeof e === 'string' && e !== '');
  const readFile = pick('Master_Log_File', 'Source_Log_File');
  const execFile = pick('Relay_Master_Log_File', 'Relay_Source_Log_File');
  return {
    ioRunning: io === 'Yes',
    sqlRunning: sql === 'Yes',
    sourceHost: String(pick('Master_Host', 'Source_Host') ?? ''),
    sourcePort: Number(pick('Master_Port', 'Source_Port') ?? 0),
    lagSeconds: lag === null || lag === undefined ? null : Number(lag),
    lastError: errors.length > 0 ? (errors as string[]).join('; ') : null,
    caughtUp: readFile === execFile && Number(pick('Read_Master_Log_Pos', 'Read_Source_Log_Pos')) === Number(pick('Exec_Master_Log_Pos', 'Exec_Source_Log_Pos')),
    receivedPosition: typeof row.Gtid_IO_Pos === 'string' ? row.Gtid_IO_Pos : null,
  };
}

const mariadb: FlavorSql = {
  state: 'SELECT @@global.read_only AS read_only, @@global.gtid_current_pos AS position',
  replicaStatus: 'SHOW SLAVE STATUS',
  stopReplica: 'STOP SLAVE',
  stopReplicaIo: 'STOP SLAVE IO_THREAD',
  startReplica: 'START SLAVE',
  resetReplica: 'RESET SLAVE ALL',
  changeSource:
    'CHANGE MASTER TO MASTER_HOST=?, MASTER_PORT=?, MASTER_USER=?, MASTER_PASSWORD=?, MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1',
  setResumePosition: 'SET GLOBAL gtid_slave_pos = ?',
  // gtid_current_pos takes, per domain, the later of what this server wrote itself and what it replicated.
  resumeFromOwnHistory: 'SET GLOBAL gtid_slave_pos = @@global.gtid_current_pos',
  readOnly: (on) => `SET GLOBAL read_only = ${on ? 'ON' : 'OFF'}`,
  semiSyncSource: (on) => `SET GLOBAL rpl_semi_sync_master_enabled = ${on ? 'ON' : 'OFF'}`,
  binlogFile: 'SHOW MASTER STATUS',
  serverOptions: (serverId) => [
    `server-id=${serverId}`,
    'log-bin=mysql-bin',
    'log-slave-updates=ON',
    'binlog-format=ROW',
    'gtid-strict-mode=ON',
    'relay-log=relay-bin',
    'skip-slave-start=ON',
  ],
  grants: {
    app: (db, account) => `GRANT ALL PRIVILEGES ON \`${db}\`.* TO ${account}`,
    replication: (_db, account) => `GRANT REPLICATION SLAVE ON *.* TO ${account}`,
    backup: (_db, account) => `GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, SLAVE MONITOR ON *.* TO ${account}`,
    monitor: (_db, account) => `GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO ${account}`,
  },
  rootAccount: "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD(?)",
};

const mysql8: FlavorSql = {
  state: 'SELECT @@global.super_read_only AS read_only, @@global.gtid_executed AS position',
  replicaStatus: 'SHOW REPLICA STATUS',
  stopReplica: 'STOP REPLICA',
  stopReplicaIo: 'STOP REPLICA IO_THREAD',
  startReplica: 'START REPLICA',
  resetReplica: 'RESET REPLICA ALL',
  changeSource:
    'CHANGE REPLICATION SOURCE TO SOURCE_HOST=?, SOURCE_PORT=?, SOURCE_USER=?, SOURCE_PASSWORD=?, SOURCE_AUTO_POSITION=1, SOURCE_CONNECT_RETRY=1, GET_SOURCE_PUBLIC_KEY=1',
  setResumePosition: 'SET GLOBAL gtid_purged = ?',
  // MySQL's gtid_executed already is the whole history; auto-position sends it to the source.
  resumeFromOwnHistory: null,
  readOnly: (on) => (on ? 'SET GLOBAL super_read_only = ON' : 'SET GLOBAL super_read_only = OFF, GLOBAL read_only = OFF'),
  semiSyncSource: (on) => `SET GLOBAL rpl_semi_sync_source_enabled = ${on ? 'ON' : 'OFF'}`,
  binlogFile: 'SHOW BINARY LOG STATUS',
  serverOptions: (serverId) => [
    `server-id=${serverId}`,
    'log-bin=mysql-bin',
    'log-replica-updates=ON',
    'gtid-mode=ON',
    'enforce-gtid-consistency=ON',
    'relay-log=relay-bin',
    'skip-replica-start=ON',
  ],
  grants: {
    app: (db, account) => `GRANT ALL PRIVILEGES ON \`${db}\`.* TO ${account}`,
    replication: (_db, account) => `GRANT REPLICATION SLAVE ON *.* TO ${account}`,
    backup: (_db, account) => `GRANT RELOAD, PROCESS, LOCK TABLES, REPLICATION CLIENT, BACKUP_ADMIN ON *.* TO ${account}`,
    monitor: (_db, account) => `GRANT PROCESS, REPLICATION CLIENT ON *.* TO ${account}`,
  },
  rootAccount: "ALTER USER 'root'@'localhost' IDENTIFIED BY ?",
};

/** The SQL of the configured flavor. */
export function sqlFor(flavor: MysqlRecipeConfig['flavor']): FlavorSql {
  return flavor === 'mysql' ? mysql8 : mariadb;
}
