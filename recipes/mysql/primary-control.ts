import { existsSync, readFileSync, rmSync } from 'node:fs';
import { PilotfishError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { AdminConnection } from './admin-connection.js';
import type { MysqlRecipeConfig } from './config.js';
import type { MysqlPasswords, MysqlPaths } from './option-files.js';
import { mergeMariadbPositions } from './gtid.js';
import { normaliseReplicaStatus, type FlavorSql, type ReplicaStatus } from './sql.js';

/** How long a new primary waits for its relay log to be applied before it gives up the promotion. */
const APPLY_RELAY_LOG_TIMEOUT_MS = 30_000;
/** The dead-man event must lie at least this far ahead (its schedule has whole seconds). */
const MIN_DEADMAN_LEAD_MS = 300;

/**
 * Role changes of one server: follow a primary, become primary, fence. The dead-man switch is a
 * one-shot event inside the server (`mysql.pilotfish_fence`) that sets `read_only` at the lease's
 * safe end unless the supervisor moves it on each renewal. It is created with the binary log off,
 * and its body turns the binary log off too: otherwise the automatic drop after it fired would be
 * logged with this server's id — an errant transaction on a replica restored from a backup that
 * contains the event (verified on MariaDB 10.11).
 */
export class MysqlPrimaryControl {
  constructor(
    private readonly db: AdminConnection,
    private readonly sql: FlavorSql,
    private readonly config: MysqlRecipeConfig,
    private readonly paths: MysqlPaths,
    private readonly passwords: MysqlPasswords,
    private readonly logger: Logger,
  ) {}

  async replicaStatus(): Promise<ReplicaStatus | null> {
    const rows = await this.db.query(this.sql.replicaStatus);
    return rows[0] ? normaliseReplicaStatus(rows[0]) : null;
  }

  /** Replicates from `address` with GTID auto-positioning; no-op when it already does. */
  async follow(address: string): Promise<void> {
    const [host, portText] = address.split(':');
    const port = Number(portText);
    const status = await this.replicaStatus();
    const same = status !== null && status.sourceHost === host && status.sourcePort === port;
    if (same && status.ioRunning && status.sqlRunning) return;
    if (same && !status.lastError) {
      await this.db.query(this.sql.startReplica);
      return;
    }
    await this.db.query(this.sql.stopReplica).catch(() => undefined);
    // A former primary: its own replicated writes must not wait for acknowledgements.
    if (this.config.replicationMode === 'semisync') await this.db.query(this.sql.semiSyncSource(false));
    const resume = existsSync(this.paths.resumePositionFile)
      ? readFileSync(this.paths.resumePositionFile, 'utf8').trim()
      : null;
    if (resume !== null) {
      // A restored backup: continue exactly after the last transaction it contains.
      let position = resume;
      if (this.config.flavor === 'mariadb') {
        const [row] = await this.db.query<{ pos: string }>('SELECT @@global.gtid_slave_pos AS pos');
        position = mergeMariadbPositions(resume, String(row?.pos ?? ''));
        // The restored server's binary log starts empty. Seed its state with the restored position
        // so that, should it become primary, a replica restored from the same backup finds that
        // position in its binary log (otherwise MariaDB refuses it with error 1236 in strict mode).
        await this.db.query('RESET MASTER');
        await this.db.query('SET GLOBAL gtid_binlog_state = ?', [position]);
      }
      await this.db.query(this.sql.setResumePosition, [position]);
    } else if (this.sql.resumeFromOwnHistory) {
      // A former primary or a replica changing source: continue after everything this server has.
      await this.db.query(this.sql.resumeFromOwnHistory);
    }
    await this.db.query(this.sql.changeSource, [host, port, this.config.users.replication, this.passwords.replication]);
    await this.db.query(this.sql.startReplica);
    if (resume !== null) rmSync(this.paths.resumePositionFile, { force: true });
    this.logger.info({ source: address, resume }, 'replicating from the primary');
  }

  /**
   * Stops replication after everything received was applied, arms the dead-man switch, then
   * accepts writes. Throws (and stays read-only) when the relay log is not applied in time.
   */
  async becomePrimary(fenceAtMs: number): Promise<void> {
    const status = await this.replicaStatus();
    if (status !== null) {
      await this.db.query(this.sql.stopReplicaIo).catch(() => undefined);
      const deadline = Date.now() + APPLY_RELAY_LOG_TIMEOUT_MS;
      for (;;) {
        const now = await this.replicaStatus();
        if (now === null || now.caughtUp || !now.sqlRunning) break;
        if (Date.now() > deadline) {
          throw new PilotfishError('RECIPE_FAILED', 'the relay log was not applied within 30s; not turning writable', { retryable: true });
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      await this.db.query(this.sql.stopReplica);
      await this.db.query(this.sql.resetReplica);
    }
    rmSync(this.paths.resumePositionFile, { force: true });
    if (this.config.replicationMode === 'semisync') await this.db.query(this.sql.semiSyncSource(true));
    await this.armDeadman(fenceAtMs);
    await this.db.query(this.sql.readOnly(false));
  }

  /** Creates or moves the one-shot event that turns the server read-only at `fenceAtMs`. */
  async armDeadman(fenceAtMs: number): Promise<void> {
    const atSeconds = Math.floor(fenceAtMs / 1000);
    // An event scheduled in the past is dropped unexecuted: a renewal that came back too late (a
    // supervisor paused mid-cycle) must leave the server read-only instead of unguarded.
    if (atSeconds * 1000 - Date.now() < MIN_DEADMAN_LEAD_MS) {
      await this.fence();
      throw new PilotfishError('RECIPE_FAILED', `the lease ends in ${fenceAtMs - Date.now()}ms, too soon to arm the dead-man switch; turned read-only`, { retryable: true });
    }
    // MariaDB: the application's sessions are killed first. A commit waiting for a semi-sync
    // acknowledgement that will never come (the replicas follow a new primary) holds the commit
    // lock that `SET GLOBAL read_only` waits for; killing it lets the fence take effect at once.
    const app = this.config.users.app.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
    const kill = this.config.flavor === 'mariadb' ? `KILL CONNECTION USER '${app}'; ` : '';
    await this.db.session(async (conn) => {
      await conn.query({ sql: 'SET SESSION sql_log_bin = 0', timeout: 5000 });
      try {
        await conn.query({
          sql: `CREATE OR REPLACE EVENT mysql.pilotfish_fence ON SCHEDULE AT FROM_UNIXTIME(${atSeconds}) ON COMPLETION NOT PRESERVE DO BEGIN SET SESSION sql_log_bin = 0; ${kill}SET GLOBAL read_only = ON; ${kill}END`,
          timeout: 5000,
        });
      } finally {
        await conn.query({ sql: 'SET SESSION sql_log_bin = 1', timeout: 5000 });
      }
    });
  }

  /**
   * Read-only at once and client sessions dropped, so no open transaction commits afterwards.
   * `true` when the server confirmed it; `false` (logged) when it could not be reached.
   */
  async fence(): Promise<boolean> {
    try {
      await this.killClients();
      await this.db.query(this.sql.readOnly(true));
      await this.killClients();
      return true;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not fence the server (is it down?)');
      return false;
    }
  }

  private async killClients(): Promise<void> {
    const { users } = this.config;
    const keep = ['system user', 'event_scheduler', users.root, users.replication, users.backup, users.monitor];
    const rows = await this.db.query<{ ID: number }>(
      `SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND USER NOT IN (${keep.map(() => '?').join(',')})`,
      keep,
    );
    for (const row of rows) await this.db.query(`KILL CONNECTION ${Number(row.ID)}`).catch(() => undefined);
  }
}
