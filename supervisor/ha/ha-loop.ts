import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Recipe } from '../../recipes/recipe.js';
import type { BackupScheduler } from '../backups/backup-scheduler.js';
import type { Coordinator, LeaderRecord, MemberRecord } from '../coordinator/coordinator.js';
import type { MemberState } from '../member-state.js';
import type { ProcessFence } from '../fencing/process-watchdog.js';
import { decide, memberAhead, type Decision } from './decide.js';
import { readSnapshot, type ClusterSnapshot } from './snapshot.js';

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

/** Timing of the loop and the lease; all in milliseconds. */
export interface HaTimings {
  loopWaitMs: number;
  ttlMs: number;
  /** A primary that has not renewed by `ttl - safetyMargin` turns read-only. */
  safetyMarginMs: number;
  maxLagOnFailoverMs: number;
  /** A primary whose database stays down this long gives the lease up so a replica can take over. */
  primaryDownBoundMs: number;
  /** Without a leader for this long, members stop deferring to a better candidate that did not act. */
  candidateTimeoutMs: number;
  /** A switchover whose target has not taken over after this long is ignored. */
  switchoverTimeoutMs: number;
}

/** Replaces this member's data with the latest backup (the old data is moved aside, never deleted). */
export type Rebootstrap = () => Promise<void>;

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
  logger: Logger;
}

/**
 * The HA loop: every `loopWaitMs`, read an immutable snapshot of the cluster, decide (a pure
 * function, see `decide.ts`), act through the recipe, publish this member's entry and service tags,
 * and log one INFO line saying what it decided.
 *
 * A primary is fenced in three layers, each covering what the previous one cannot:
 * 1. a timer in this loop fences at `lastRenewal + ttl - safetyMargin`, so a slow or unreachable
 *    coordination store cannot leave it writable after another member could take the lease;
 * 2. the dead-man event inside the database does the same when this supervisor is frozen;
 * 3. the process watchdog, a separate process, kills the database at
 *    `lastRenewal + ttl - safetyMargin / 2` when both are frozen (a stopped database runs no event)
 *    or the database does not obey. It is disarmed once the database confirmed it is read-only.
 */
export class HaLoop {
  private timer: NodeJS.Timeout | undefined;
  private fenceTimer: NodeJS.Timeout | undefined;
  private cycling: Promise<void> | undefined;
  private stopped = false;
  private lastTerm = 0;
  private downSinceMs: number | null = null;
  private readonly coordinator: Coordinator;
  private readonly recipe: Recipe;
  private readonly state: MemberState;
  private readonly self: MemberIdentity;
  private readonly timings: HaTimings;
  private readonly backups: BackupScheduler | null;
  private readonly rebootstrap: Rebootstrap;
  private readonly processFence: ProcessFence;
  private readonly logger: Logger;

  constructor(deps: HaLoopDeps) {
    ({
      coordinator: this.coordinator,
      recipe: this.recipe,
      state: this.state,
      self: this.self,
      timings: this.timings,
      backups: this.backups,
      rebootstrap: this.rebootstrap,
      processFence: this.processFence,
      logger: this.logger,
    } = deps);
  }

  private noLeaderSinceMs: number | null = null;
  private rebootstraps = 0;

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
    if (this.fenceTimer) clearTimeout(this.fenceTimer);
    await this.cycling;
  }

  private fenceAtMs(): number {
    return this.state.lastRenewOkAtMs + this.timings.ttlMs - this.timings.safetyMarginMs;
  }

  /** After each acquisition or renewal: move the fence timer and the process watchdog forward. */
  private armFences(): void {
    if (this.fenceTimer) clearTimeout(this.fenceTimer);
    const renewedAt = this.state.lastRenewOkAtMs;
    this.fenceTimer = setTimeout(() => {
      if (this.state.lastRenewOkAtMs !== renewedAt || !this.state.holdsLease) return;
      this.logger.warn('lease not renewed before ttl - safetyMargin; turning read-only');
      void this.fence();
    }, Math.max(0, this.fenceAtMs() - Date.now()));
    const pid = this.recipe.pid;
    if (pid !== undefined) this.processFence.arm(pid, renewedAt + this.timings.ttlMs - this.timings.safetyMarginMs / 2);
  }

  private async fence(): Promise<void> {
    this.state.holdsLease = false;
    this.state.role = 'replica';
    await this.fenceDatabase();
  }

  /** Fences the database; the process watchdog stands down only once it confirmed. */
  private async fenceDatabase(): Promise<boolean> {
    const fenced = await this.recipe.fence();
    if (fenced) this.processFence.disarm();
    return fenced;
  }

  /** Gives the lease up while the database is known not to accept writes. */
  private async releaseLease(): Promise<void> {
    await this.coordinator.releaseLeader();
    this.state.holdsLease = false;
    this.state.role = 'replica';
    if (this.fenceTimer) clearTimeout(this.fenceTimer);
    this.processFence.disarm();
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
      if (this.state.holdsLease && Date.now() >= this.fenceAtMs()) await this.fence();
      return;
    }
    this.state.leader = snapshot.leader;
    if (snapshot.leader) this.lastTerm = Math.max(this.lastTerm, snapshot.leader.term);
    this.noLeaderSinceMs = snapshot.leader ? null : (this.noLeaderSinceMs ?? nowMs);
    const decision = decide(
      snapshot,
      {
        name: this.self.name,
        tags: this.self.tags,
        priority: this.self.priority,
        health,
        holdsLease: this.state.holdsLease,
        noLeaderForMs: this.noLeaderSinceMs === null ? 0 : nowMs - this.noLeaderSinceMs,
      },
      {
        maxLagOnFailoverMs: this.timings.maxLagOnFailoverMs,
        candidateTimeoutMs: this.timings.candidateTimeoutMs,
        switchoverTimeoutMs: this.timings.switchoverTimeoutMs,
        nowMs,
        comparePositions: (a, b) => this.recipe.comparePositions(a, b),
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
        return this.handover(decision.to, health.position);
      case 'rebootstrap': {
        await this.backups?.abortRunning('data is being replaced');
        if (this.rebootstraps >= 2) return `${decision.reason}; not again after ${this.rebootstraps} attempts: needs an operator`;
        this.rebootstraps++;
        this.logger.warn({ position: health.position }, decision.reason);
        this.state.role = 'starting';
        await this.rebootstrap();
        this.state.role = 'replica';
        return `${decision.reason}; done`;
      }
      case 'renew': {
        if (!health.alive && this.downSinceMs !== null && Date.now() - this.downSinceMs > this.timings.primaryDownBoundMs) {
          await this.releaseLease();
          return `database down for more than ${this.timings.primaryDownBoundMs}ms; gave the lease up`;
        }
        const startedMs = Date.now();
        if (!(await this.coordinator.renewLeader())) {
          this.state.leaseRenewalFailures++;
          await this.fence();
          return 'could not renew the lease; turned read-only';
        }
        this.state.leaseRenewals++;
        this.state.lastRenewOkAtMs = startedMs;
        this.state.holdsLease = true;
        this.armFences();
        if (!health.alive) return decision.reason;
        const ahead = health.writable ? undefined : memberAhead(snapshot, this.self.name, health.position, (a, b) => this.recipe.comparePositions(a, b));
        if (ahead) {
          await this.releaseLease();
          return `${ahead.name} is ahead of this server (${ahead.position} > ${health.position}); gave the lease up`;
        }
        if (health.writable) await this.recipe.extendFence(this.fenceAtMs());
        else await this.recipe.becomePrimary(this.fenceAtMs());
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
        const startedMs = Date.now();
        if (!(await this.coordinator.tryAcquireLeader(record))) return `${decision.reason}; lost the race`;
        this.state.lastRenewOkAtMs = startedMs;
        this.state.holdsLease = true;
        this.lastTerm = record.term;
        this.armFences();
        try {
          await this.recipe.becomePrimary(this.fenceAtMs());
        } catch (err) {
          await this.coordinator.releaseLeader().catch(() => undefined);
          await this.fence();
          throw err;
        }
        this.state.role = 'primary';
        if (snapshot.switchover?.to === this.self.name) await this.coordinator.delete('switchover');
        return `${decision.reason}; now primary (term ${record.term})`;
      }
      case 'follow': {
        if (health.writable) await this.fenceDatabase();
        this.state.role = 'replica';
        if (!(health.replicating && health.source === decision.address)) {
          await this.backups?.abortRunning('replication must be re-pointed');
          await this.recipe.followPrimary(decision.address);
          return `${decision.reason}; (re)started replication${health.replicationError ? ` after error: ${health.replicationError}` : ''}`;
        }
        return decision.reason;
      }
      case 'fence':
        await this.fence();
        return decision.reason;
      case 'wait':
        if (health.alive && snapshot.leader === null) this.state.role = 'replica';
        return decision.reason;
    }
  }

  /**
   * Planned handover: refuse writes, wait until the target has everything this member wrote, then
   * release the lease so the target (and only it, the switchover key names it) takes it. Gives up
   * after the switchover timeout and stays primary.
   */
  private async handover(to: string, position: string): Promise<string> {
    if (!(await this.fenceDatabase())) {
      await this.coordinator.delete('switchover');
      return `switchover to ${to} abandoned: this server did not confirm it is read-only`;
    }
    const final = (await this.recipe.health()).position || position;
    const deadline = Date.now() + Math.min(this.timings.switchoverTimeoutMs, 10_000);
    let renewedAtMs = Date.now();
    while (Date.now() < deadline) {
      if (Date.now() - renewedAtMs >= this.timings.loopWaitMs) {
        // keep the lease while waiting, so no other member can take it before the target
        renewedAtMs = Date.now();
        if (!(await this.coordinator.renewLeader())) return 'switchover: lost the lease while handing over';
        this.state.lastRenewOkAtMs = renewedAtMs;
      }
      const target = (await this.coordinator.listMembers()).find((m) => m.name === to);
      if (target?.healthy && this.recipe.comparePositions(target.position, final) === 0) {
        await this.releaseLease();
        return `switchover: ${to} has everything up to ${final}; released the lease`;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.coordinator.delete('switchover');
    return `switchover to ${to} abandoned: it did not reach ${final} in time; staying primary`;
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
    };
    await this.coordinator.putMember(record);
    const tags = this.state.role === 'primary' || this.state.role === 'replica' ? [this.state.role] : [];
    await this.coordinator.updateService(`${this.self.name}`, tags, record.healthy, this.state.lastDecision);
  }
}
