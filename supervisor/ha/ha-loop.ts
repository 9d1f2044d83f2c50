import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Recipe, RestoreFn } from '../../recipes/recipe.js';
import type { BackupScheduler } from '../backups/backup-scheduler.js';
import type { Coordinator, LeaderRecord, MemberRecord } from '../../coordination/coordinator.js';
import type { MemberState } from '../member-state.js';
import type { ProcessFence } from '../fencing/process-watchdog.js';
import { decide, type Decision } from './decide.js';
import { handover } from './handover.js';
import { LeaseFencing } from './lease-fencing.js';
import type { HaTimings } from './lease-timings.js';
import { readSnapshot, type ClusterSnapshot } from './snapshot.js';
import { deleteKey, SWITCHOVER } from '../cluster-keys.js';

/** Who this member is, as published in `members/<name>` and the service catalog. */
export interface MemberIdentity {
  name: string;
  /** Database address clients and replicas use, `host:port`. */
  address: string;
  statusUrl: string;
  tags: string[];
  priority: number;
  version: string;
}

/** Replaces this member's data with the latest backup (the old data is moved aside, never deleted). */
export type Rebootstrap = () => Promise<void>;

/**
 * Re-bootstrap attempts in a row after which the loop stops and says the member needs an operator:
 * data that still diverges after fresh restores will not be fixed by another one. A healthy cycle
 * starts the count afresh.
 */
export const REBOOTSTRAP_LIMIT = 2;

/** What the loop works with. */
export interface HaLoopDeps {
  coordinator: Coordinator;
  recipe: Recipe;
  state: MemberState;
  self: MemberIdentity;
  timings: HaTimings;
  backups: BackupScheduler | null;
  rebootstrap: Rebootstrap;
  /** Kills the application's process when the loop stops renewing (see `fencing/`). */
  processFence: ProcessFence;
  /** A restore function for backup `id`, for recipes whose members follow the backups (`Recipe.catchUp`). */
  restoreBackup?: (id: string) => RestoreFn;
  /** The newest backup in the object store itself, which `backups/latest` may not name yet. */
  newestBackup?: () => Promise<{ id: string; position: string } | null>;
  logger: Logger;
  /** Re-bootstrap attempts in a row before needing an operator; {@link REBOOTSTRAP_LIMIT} when omitted. */
  rebootstrapLimit?: number;
}

/**
 * The HA loop: every `loopWaitMs`, read an immutable snapshot of the cluster, decide (a pure
 * function, see `decide.ts`), act through the recipe, publish this member's entry and service tags,
 * and log one INFO line saying what it decided. `LeaseFencing` keeps a primary inside its lease.
 */
export class HaLoop {
  private timer: NodeJS.Timeout | undefined;
  private cycling: Promise<void> | undefined;
  private stopped = false;
  private lastTerm = 0;
  private downSinceMs: number | null = null;
  private noLeaderSinceMs: number | null = null;
  private rebootstraps = 0;
  private readonly coordinator: Coordinator;
  private readonly recipe: Recipe;
  private readonly state: MemberState;
  private readonly self: MemberIdentity;
  private readonly timings: HaTimings;
  private readonly backups: BackupScheduler | null;
  private readonly rebootstrap: Rebootstrap;
  private readonly logger: Logger;
  private readonly rebootstrapLimit: number;
  private readonly fencing: LeaseFencing;
  private readonly restoreBackup: ((id: string) => RestoreFn) | undefined;
  private readonly newestBackup: (() => Promise<{ id: string; position: string } | null>) | undefined;

  constructor(deps: HaLoopDeps) {
    ({
      coordinator: this.coordinator,
      recipe: this.recipe,
      state: this.state,
      self: this.self,
      timings: this.timings,
      backups: this.backups,
      rebootstrap: this.rebootstrap,
      logger: this.logger,
    } = deps);
    this.rebootstrapLimit = deps.rebootstrapLimit ?? REBOOTSTRAP_LIMIT;
    this.restoreBackup = deps.restoreBackup;
    this.newestBackup = deps.newestBackup;
    this.fencing = new LeaseFencing(deps.recipe, deps.state, deps.processFence, deps.timings, deps.logger);
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.cycling = this.cycle().finally(() => {
        this.cycling = undefined;
        if (!this.stopped) this.timer = setTimeout(tick, this.timings.loopWaitMs);
      });
    };
    tick();
  }

  /** Stops cycling; resolves when a running cycle has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.fencing.stop();
    await this.cycling;
  }

  /** Gives the lease up while the database is known not to accept writes. */
  private async releaseLease(): Promise<void> {
    await this.coordinator.releaseLeader();
    this.fencing.released();
  }

  /**
   * A member that does not run the application brings its copy to the latest backup, for recipes
   * whose replicas follow the backups. Before it takes the lease (`fromStore`) it also asks the
   * object store: a primary that died after its last manifest landed but before `backups/latest`
   * named it left a backup the new primary must start on. Returns what it did, for the log line.
   */
  private async catchUp(snapshot: ClusterSnapshot, fromStore = false): Promise<string> {
    if (!this.recipe.catchUp || !this.restoreBackup || this.state.holdsLease) return '';
    let latest = snapshot.latestBackup;
    if (fromStore && this.newestBackup) {
      const stored = await this.newestBackup();
      if (stored && (!latest || (this.recipe.comparePositions(stored.position, latest.position) ?? 0) > 0)) latest = { ...stored, at: '' };
    }
    const position = this.state.health?.position ?? '';
    if (!latest) return '';
    if ((this.recipe.comparePositions(latest.position, position) ?? 0) <= 0) return '';
    await this.recipe.catchUp(latest, this.restoreBackup(latest.id));
    this.state.health = await this.recipe.health();
    return `; restored backup ${latest.id}`;
  }

  /** One HA cycle. Never throws. */
  async cycle(): Promise<void> {
    const nowMs = Date.now();
    this.state.haCycles++;
    const health = await this.recipe.health();
    this.state.health = health;
    this.downSinceMs = health.alive ? null : (this.downSinceMs ?? nowMs);
    let snapshot: ClusterSnapshot;
    try {
      if (!this.state.holdsLease) await this.coordinator.keepAlive();
      snapshot = await readSnapshot(this.coordinator, nowMs);
      this.state.coordinatorReachable = true;
    } catch (err) {
      this.state.coordinatorReachable = false;
      const holding = this.state.holdsLease ? '; still primary until the lease could have expired' : '';
      this.logger.info({ err: describeError(err) }, `coordination store unreachable${holding}`);
      if (this.state.holdsLease && Date.now() >= this.fencing.fenceAtMs()) await this.fencing.loseLease();
      return;
    }
    this.state.leader = snapshot.leader;
    if (snapshot.leader) this.lastTerm = Math.max(this.lastTerm, snapshot.leader.term);
    this.noLeaderSinceMs = snapshot.leader ? null : (this.noLeaderSinceMs ?? nowMs);
    // measured after the reads, so a slow store cannot hold the lease past the bound
    const decidingAtMs = Date.now();
    const decision = decide(
      snapshot,
      {
        name: this.self.name,
        tags: this.self.tags,
        priority: this.self.priority,
        health,
        holdsLease: this.state.holdsLease,
        noLeaderForMs: this.noLeaderSinceMs === null ? 0 : nowMs - this.noLeaderSinceMs,
        downForMs: this.downSinceMs === null ? 0 : decidingAtMs - this.downSinceMs,
      },
      {
        maxLagOnFailoverMs: this.timings.maxLagOnFailoverMs,
        candidateTimeoutMs: this.timings.candidateTimeoutMs,
        switchoverTimeoutMs: this.timings.switchoverTimeoutMs,
        primaryDownBoundMs: this.timings.primaryDownBoundMs,
        nowMs,
        comparePositions: (a, b) => this.recipe.comparePositions(a, b),
        historyDiverged: (error) => this.recipe.historyDiverged(error),
      },
    );
    let outcome = decision.reason;
    try {
      outcome = await this.apply(decision, snapshot);
    } catch (err) {
      outcome = `${decision.reason}; failed: ${describeError(err)}`;
    }
    this.state.lastDecision = outcome;
    await this.publish().catch((err: unknown) => this.logger.debug({ err: describeError(err) }, 'could not publish member entry'));
    const healthy = this.memberHealthy();
    // the re-bootstrap limit counts attempts in a row; a member that became healthy starts afresh
    if (healthy) this.rebootstraps = 0;
    await this.backups?.tick(snapshot, healthy, this.state.role === 'primary').catch((err: unknown) => this.logger.debug({ err: describeError(err) }, 'backup tick failed'));
    this.logger.info({ decision: decision.kind, role: this.state.role, position: health.position, lagSeconds: health.lagSeconds }, outcome);
    this.logger.debug({ snapshot, health }, 'HA cycle detail');
  }

  private async apply(decision: Decision, snapshot: ClusterSnapshot): Promise<string> {
    const health = this.state.health!;
    switch (decision.kind) {
      case 'handover':
        await this.backups?.abortRunning('switchover');
        return handover(
          { coordinator: this.coordinator, recipe: this.recipe, state: this.state, fencing: this.fencing, ...this.timings },
          decision.to,
          health.position,
        );
      case 'rebootstrap': {
        await this.backups?.abortRunning('data is being replaced');
        if (this.rebootstraps >= this.rebootstrapLimit) return `${decision.reason}; not again after ${this.rebootstraps} attempts: needs an operator`;
        this.rebootstraps++;
        this.logger.warn({ position: health.position }, decision.reason);
        this.state.role = 'starting';
        await this.rebootstrap();
        this.state.role = 'replica';
        return `${decision.reason}; done`;
      }
      case 'release':
        await this.releaseLease();
        return `${decision.reason}; gave the lease up`;
      case 'renew': {
        const startedMs = Date.now();
        if (!(await this.coordinator.renewLeader())) {
          this.state.leaseRenewalFailures++;
          await this.fencing.loseLease();
          return 'could not renew the lease; turned read-only';
        }
        this.state.leaseRenewals++;
        this.state.lastRenewOkAtMs = startedMs;
        this.state.holdsLease = true;
        this.fencing.renewed();
        if (!health.alive) return decision.reason;
        if (health.writable) await this.recipe.extendFence(this.fencing.fenceAtMs());
        else await this.recipe.becomePrimary(this.fencing.fenceAtMs());
        this.state.role = 'primary';
        return decision.reason;
      }
      case 'acquire': {
        const record: LeaderRecord = {
          member: this.self.name,
          address: this.self.address,
          term: this.lastTerm + 1,
          since: new Date().toISOString(),
        };
        // The newest backup first: a member that follows the backups starts the application on it.
        const caughtUp = await this.catchUp(snapshot, true);
        const startedMs = Date.now();
        if (!(await this.coordinator.tryAcquireLeader(record))) return `${decision.reason}${caughtUp}; lost the race`;
        this.state.lastRenewOkAtMs = startedMs;
        this.state.holdsLease = true;
        this.lastTerm = record.term;
        this.fencing.renewed();
        try {
          await this.recipe.becomePrimary(this.fencing.fenceAtMs());
        } catch (err) {
          await this.coordinator.releaseLeader().catch(() => undefined);
          await this.fencing.loseLease();
          throw err;
        }
        this.state.role = 'primary';
        if (snapshot.switchover?.to === this.self.name) await deleteKey(this.coordinator, SWITCHOVER);
        return `${decision.reason}${caughtUp}; now primary (term ${record.term})`;
      }
      case 'follow': {
        if (health.writable) await this.fencing.fenceDatabase();
        this.state.role = 'replica';
        if (!(health.replicating && health.source === decision.address)) {
          await this.backups?.abortRunning('replication must be re-pointed');
          await this.recipe.followPrimary(decision.address);
          const caughtUp = await this.catchUp(snapshot);
          return `${decision.reason}; (re)started replication${health.replicationError ? ` after error: ${health.replicationError}` : ''}${caughtUp}`;
        }
        return `${decision.reason}${await this.catchUp(snapshot)}`;
      }
      case 'fence':
        await this.fencing.loseLease();
        return decision.reason;
      case 'wait':
        if (health.alive && snapshot.leader === null) this.state.role = 'replica';
        return `${decision.reason}${await this.catchUp(snapshot)}`;
    }
  }

  private memberHealthy(): boolean {
    const h = this.state.health;
    if (!h?.alive) return false;
    if (this.state.role === 'primary') return h.writable && this.state.holdsLease;
    if (this.state.role === 'replica') return this.state.leader === null || h.replicating;
    return false;
  }

  /** Writes `members/<name>` and the service's tags and TTL check. */
  async publish(): Promise<void> {
    const h = this.state.health;
    const record: MemberRecord = {
      name: this.self.name,
      address: this.self.address,
      statusUrl: this.self.statusUrl,
      role: this.state.role,
      position: h?.position ?? '',
      lagSeconds: h?.lagSeconds ?? null,
      healthy: this.memberHealthy(),
      version: this.self.version,
      tags: this.self.tags,
      priority: this.self.priority,
      recipe: this.recipe.name,
    };
    await this.coordinator.putMember(record);
    const tags = this.state.role === 'primary' || this.state.role === 'replica' ? [this.state.role] : [];
    await this.coordinator.updateService(`${this.self.name}`, tags, record.healthy, this.state.lastDecision);
  }
}
