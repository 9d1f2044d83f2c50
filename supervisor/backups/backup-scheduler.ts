import { backoffDelayMs } from '../../common/retry.js';
import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Recipe } from '../../recipes/recipe.js';
import type { Coordinator } from '../../coordination/coordinator.js';
import type { ClusterSnapshot } from '../ha/snapshot.js';
import { BACKUP_LOCK, BACKUP_REQUESTED, LATEST_BACKUP, writeKey, type LatestBackup } from '../cluster-keys.js';
import { takeBackup, type BackupTarget } from './backup-runner.js';

/** Observable outcome of this member's backups, for `/status` and `/metrics`. */
export interface BackupStats {
  running: boolean;
  lastSuccess: LatestBackup | null;
  lastError: string | null;
  failures: number;
}

/**
 * Decides on every HA cycle whether a backup is due and whether this member should take it, then
 * runs it in the background (never blocking the HA loop). Due: the cluster has no backup yet, the
 * interval passed since `backups/latest`, or a backup was requested since (binary log rotation). Taken by the first
 * healthy replica by name, else by the primary; one member at a time through `backups/lock` (bound
 * to the session the HA loop keeps alive). A failure (e.g. the object store is down) is retried
 * with backoff and never touches health.
 */
export class BackupScheduler {
  readonly stats: BackupStats = { running: false, lastSuccess: null, lastError: null, failures: 0 };
  private retryAtMs = 0;
  private abort = new AbortController();
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly coordinator: Coordinator,
    private readonly recipe: Recipe,
    private readonly target: BackupTarget,
    private readonly member: string,
    private readonly logger: Logger,
  ) {}

  /** Why a backup is due now, or `null`. */
  private dueReason(snapshot: ClusterSnapshot, nowMs: number): string | null {
    const latest = snapshot.latestBackup;
    if (!latest) return 'the cluster has no backup yet';
    const latestAtMs = Date.parse(latest.at);
    const requested = snapshot.backupRequested;
    if (requested && Date.parse(requested.at) > latestAtMs) return `${requested.by} asked for one: ${requested.reason}`;
    const { interval } = this.target.config;
    if (interval > 0 && nowMs - latestAtMs >= interval) return 'the backup interval passed';
    return null;
  }

  /**
   * The member that should take a due backup: the primary for recipes whose replicas follow the
   * backups, else the first healthy replica by name, else the primary.
   */
  private preferred(snapshot: ClusterSnapshot): string | null {
    if (this.recipe.backupsFrom === 'primary') return snapshot.leader?.member ?? null;
    const replicas = snapshot.members.filter((m) => m.role === 'replica' && m.healthy).map((m) => m.name).sort();
    return replicas[0] ?? snapshot.leader?.member ?? null;
  }

  /**
   * Called once per HA cycle with the cycle's snapshot; starts a backup in the background and
   * returns. The primary also watches its binary log: when it rotated, it asks for a backup through
   * `backups/requested`, which the member that takes backups sees in its next snapshot.
   */
  async tick(snapshot: ClusterSnapshot, healthy: boolean, isPrimary: boolean, nowMs = Date.now()): Promise<void> {
    if (isPrimary && healthy && this.target.config.onBinlogRotation && (await this.recipe.shouldBackUp(null).catch(() => false))) {
      await this.request(`${this.recipe.name}: new data to back up`, nowMs);
    }
    if (this.running || this.stopped || !healthy || nowMs < this.retryAtMs) return;
    const reason = this.dueReason(snapshot, nowMs);
    if (!reason || this.preferred(snapshot) !== this.member) return;
    this.running = this.run(reason).finally(() => {
      this.running = undefined;
    });
  }

  /**
   * Asks the cluster for a backup through `backups/requested` (the member that takes backups sees
   * it in its next snapshot): new data on the primary, `POST /backup`, `pilotfish backup create`.
   */
  async request(reason: string, nowMs = Date.now()): Promise<void> {
    await writeKey(this.coordinator, BACKUP_REQUESTED, { at: new Date(nowMs).toISOString(), by: this.member, reason });
    this.logger.info({ reason }, 'asked for a backup');
  }

  /**
   * Takes a backup now, in the foreground, under the backup lock (a clean stop of the primary);
   * `backups/latest` names it when it succeeded. Returns whether it did.
   */
  async takeNow(reason: string, timeoutMs: number): Promise<boolean> {
    await this.running;
    this.stopped = false;
    const before = this.stats.lastSuccess;
    const bound = setTimeout(() => this.abort.abort(new Error(`final backup took longer than ${timeoutMs}ms`)), timeoutMs);
    try {
      await this.run(reason);
    } finally {
      clearTimeout(bound);
      this.stopped = true;
    }
    return this.stats.lastSuccess !== before;
  }

  private async run(reason: string): Promise<void> {
    const lock = JSON.stringify({ member: this.member, since: new Date().toISOString() });
    if (!(await this.coordinator.tryLock(BACKUP_LOCK, lock).catch(() => false))) return;
    this.stats.running = true;
    this.abort = new AbortController();
    this.logger.info({ reason }, 'taking a backup');
    try {
      const latest = await takeBackup(this.target, this.recipe, this.member, this.abort.signal, async (recorded) => {
        await writeKey(this.coordinator, LATEST_BACKUP, recorded);
        this.recipe.backupTaken?.(recorded);
      });
      this.stats.lastSuccess = latest;
      this.stats.lastError = null;
      this.stats.failures = 0;
      this.retryAtMs = 0;
      this.logger.info({ backupId: latest.id, position: latest.position, bytes: latest.bytes, durationMs: latest.durationMs }, 'backup finished');
    } catch (err) {
      this.stats.failures++;
      this.stats.lastError = describeError(err);
      const waitMs = backoffDelayMs(this.stats.failures - 1, { initialMs: 1000, maxMs: 60_000, jitter: 0.2 });
      this.retryAtMs = Date.now() + waitMs;
      this.logger.warn({ err: this.stats.lastError, retryInMs: waitMs }, 'backup failed; will retry');
    } finally {
      this.stats.running = false;
      await this.coordinator.unlock(BACKUP_LOCK).catch(() => undefined);
    }
  }

  /**
   * Aborts a running backup (its tool is stopped, its locks released) and waits for it to end.
   * The HA loop calls this before it re-points replication: MariaDB's backup locks and a change of
   * replication source can otherwise wait on each other forever.
   */
  async abortRunning(reason: string): Promise<void> {
    if (!this.running) return;
    this.logger.info({ reason }, 'aborting the running backup');
    this.abort.abort(new Error(reason));
    await this.running;
  }

  /** Aborts a running backup, waits for it to end, and starts no new one. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.abortRunning('supervisor stopping');
  }
}
