import type { Logger } from '../../common/logger.js';
import type { Recipe } from '../../recipes/recipe.js';
import type { ProcessFence } from '../fencing/process-watchdog.js';
import type { MemberState } from '../member-state.js';
import type { HaTimings } from './lease-timings.js';

/**
 * Keeps a primary's writability inside its lease, in three layers, each covering what the one
 * before cannot:
 * 1. a timer in the supervisor fences at `lastRenewal + ttl - safetyMargin`, so a slow or
 *    unreachable coordination store cannot leave it writable after another member could take the
 *    lease;
 * 2. the dead-man event inside the database (armed by the recipe with the same deadline) does the
 *    same when the supervisor is frozen;
 * 3. the process watchdog, a separate process, kills the database at
 *    `lastRenewal + ttl - safetyMargin / 2` when both are frozen (a stopped database runs no event)
 *    or the database does not obey. It is disarmed once the database confirmed it is read-only.
 */
export class LeaseFencing {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly recipe: Recipe,
    private readonly state: MemberState,
    private readonly processFence: ProcessFence,
    private readonly timings: Pick<HaTimings, 'fenceAfterMs' | 'watchdogAfterMs'>,
    private readonly logger: Logger,
  ) {}

  /** When the primary must have turned read-only unless the lease was renewed again. */
  fenceAtMs(): number {
    return this.state.lastRenewOkAtMs + this.timings.fenceAfterMs;
  }

  /** After each acquisition or renewal (`state.lastRenewOkAtMs` set): moves layers 1 and 3 forward. */
  renewed(): void {
    this.cancelTimer();
    const renewedAt = this.state.lastRenewOkAtMs;
    this.timer = setTimeout(() => {
      if (this.state.lastRenewOkAtMs !== renewedAt || !this.state.holdsLease) return;
      this.logger.warn('lease not renewed before ttl - safetyMargin; turning read-only');
      void this.loseLease();
    }, Math.max(0, this.fenceAtMs() - Date.now()));
    const pid = this.recipe.pid;
    if (pid !== undefined) this.processFence.arm(pid, renewedAt + this.timings.watchdogAfterMs);
  }

  /** The lease is lost or about to be: no longer primary, and the database refuses writes. */
  async loseLease(): Promise<void> {
    this.state.holdsLease = false;
    this.state.role = 'replica';
    await this.fenceDatabase();
  }

  /** Fences the database; the process watchdog stands down only once it confirmed. */
  async fenceDatabase(): Promise<boolean> {
    const fenced = await this.recipe.fence();
    if (fenced) this.processFence.disarm();
    return fenced;
  }

  /** The lease was given up while the database is known not to accept writes. */
  released(): void {
    this.state.holdsLease = false;
    this.state.role = 'replica';
    this.cancelTimer();
    this.processFence.disarm();
  }

  /** Stops the timer (the supervisor is stopping; it fences on its own way out). */
  stop(): void {
    this.cancelTimer();
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
