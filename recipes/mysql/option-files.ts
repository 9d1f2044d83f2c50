import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { MysqlRecipeConfig } from './config.js';
import { sqlFor } from './sql.js';

/** Where the recipe keeps its files for one member. */
export interface MysqlPaths {
  dataDir: string;
  runDir: string;
  socket: string;
  pidFile: string;
  errorLog: string;
  /** Server options (`--defaults-file`); the only argument the server gets. */
  serverCnf: string;
  /** One-time SQL that creates the users on the first start of a new data set; 0600, removed after. */
  initFile: string;
  /** Position a restored backup represents, applied when the member first follows a primary. */
  resumePositionFile: string;
}

/** Longest Unix socket path the kernel accepts (sun_path is 108 bytes with the terminating NUL). */
const MAX_SOCKET_PATH = 107;

/**
 * `<runDir>/mysqld.sock`, or, when that is too long for a Unix socket (a deep scheduler allocation
 * directory), a name in the system temp directory derived from the run directory, so the same
 * member always gets the same socket and two members never share one.
 */
function socketPath(runDir: string): string {
  const inRunDir = join(runDir, 'mysqld.sock');
  if (Buffer.byteLength(inRunDir) <= MAX_SOCKET_PATH) return inRunDir;
  return join(tmpdir(), `pilotfish-mysqld-${createHash('sha256').update(runDir).digest('hex').slice(0, 16)}.sock`);
}

export function mysqlPaths(config: MysqlRecipeConfig): MysqlPaths {
  const dataDir = resolve(config.dataDir);
  const runDir = resolve(config.runDir ?? join(dirname(dataDir), 'run'));
  return {
    dataDir,
    runDir,
    socket: socketPath(runDir),
    pidFile: join(runDir, 'mysqld.pid'),
    errorLog: join(runDir, 'error.log'),
    serverCnf: join(runDir, 'server.cnf'),
    initFile: join(runDir, 'init.sql'),
    resumePositionFile: join(runDir, 'resume-position'),
  };
}

export { writePrivateFile } from '../../common/private-file.js';

/**
 * The server's option file. The server starts read-only (only the lease holder turns writable),
 * with binary logs and GTIDs, replication not started on its own (the HA loop decides whom to
 * follow), the event scheduler on (the dead-man switch is an event), and a small buffer pool.
 */
export function serverOptions(config: MysqlRecipeConfig, paths: MysqlPaths, serverId: number, withInitFile: boolean): string {
  const lines = [
    '[mariadbd]',
    `datadir=${paths.dataDir}`,
    `socket=${paths.socket}`,
    `pid-file=${paths.pidFile}`,
    `log-error=${paths.errorLog}`,
    `port=${config.port}`,
    `bind-address=${config.host}`,
    'skip-name-resolve',
    'read-only=ON',
    'event-scheduler=ON',
    `innodb-buffer-pool-size=${config.bufferPool}`,
    'innodb-log-file-size=48M',
    ...sqlFor(config.flavor).serverOptions(serverId),
    ...(config.replicationMode === 'semisync'
      ? [
          'sync-binlog=1',
          'innodb-flush-log-at-trx-commit=1',
          // The source side is switched on only by becoming primary: a replica's own binary log
          // writes (log-slave-updates) must never wait for acknowledgements nobody sends.
          'rpl-semi-sync-master-enabled=OFF',
          'rpl-semi-sync-slave-enabled=ON',
          'rpl-semi-sync-master-wait-point=AFTER_SYNC',
          // Never fall back to asynchronous replication: a commit with no replica to acknowledge it
          // waits (a day) rather than being acknowledged on one server only.
          'rpl-semi-sync-master-timeout=86400000',
          'rpl-semi-sync-master-wait-no-slave=ON',
          // What a replica acknowledged must survive its crash: durable relay log and positions.
          'relay-log-recovery=ON',
          'sync-relay-log=1',
          'sync-master-info=1',
          'sync-relay-log-info=1',
          // Every server starts as a replica: a former primary truncates binlogged transactions no
          // replica acknowledged instead of committing them during crash recovery.
          'init-rpl-role=SLAVE',
        ]
      : []),
    ...(process.getuid?.() === 0 ? ['user=root'] : []),
    ...(withInitFile ? [`init-file=${paths.initFile}`] : []),
    ...config.serverArgs.map((arg) => arg.replace(/^--/, '')),
  ];
  return `${lines.join('\n')}\n`;
}

/** Passwords of the five roles, read from the SecretStore as `<role>-password`. */
export interface MysqlPasswords {
  root: string;
  app: string;
  replication: string;
  backup: string;
  monitor: string;
}

const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** SQL run once by the server on the first start of a new data set: database, users, grants. */
export function initSql(config: MysqlRecipeConfig, passwords: MysqlPasswords): string {
  const sql = sqlFor(config.flavor);
  const { users, database } = config;
  const account = (user: string, host: string) => `${quote(user)}@${quote(host)}`;
  const roles: [keyof typeof sql.grants, string, string][] = [
    ['app', users.app, '%'],
    ['replication', users.replication, '%'],
    ['backup', users.backup, 'localhost'],
    ['monitor', users.monitor, 'localhost'],
  ];
  const statements = [
    `CREATE DATABASE IF NOT EXISTS \`${database}\``,
    sql.rootAccount.replace('?', quote(passwords.root)),
  ];
  for (const [role, user, host] of roles) {
    statements.push(`CREATE USER IF NOT EXISTS ${account(user, host)} IDENTIFIED BY ${quote(passwords[role])}`);
    statements.push(sql.grants[role](database, account(user, host)));
  }
  statements.push('FLUSH PRIVILEGES');
  return `${statements.join(';\n')};\n`;
}
