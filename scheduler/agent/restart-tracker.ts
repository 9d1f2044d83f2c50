/**
 * The local `restart` policy, with Nomad's semantics: a task may be restarted `attempts` times
 * within `interval`; each restart waits `delay` plus up to 25 % jitter. When the attempts are
 * used up, mode `fail` fails the task (the server may then reschedule the allocation elsewhere)
 * and mode `delay` waits until the interval has passed and starts counting again. The interval
 * starts with the first restart in it; a restart after the interval has passed resets the count.
 * A batch task that exits 0 has completed and is never restarted; a service task is restarted on
 * any exit.
 */

/** The restart policy of one task group, durations in milliseconds. */
export interface RestartPolicy {
  attempts: number;
  intervalMs: number;
  delayMs: number;
  mode: 'fail' | 'delay';
}

/** What to do after a task exited. */
export type RestartDecision =
  | { action: 'restart'; delayMs: number; reason: string }
  | { action: 'fail'; reason: string }
  | { action: 'complete'; reason: string };

/** Share of `delay` added at random, so restarting tasks do not move in lockstep (Nomad: 25 %). */
const JITTER = 0.25;

/** Counts restarts of one task and decides, after each exit, whether to restart it. */
export class RestartTracker {
  private count = 0;
  private windowStartMs: number | undefined;

  constructor(
    private readonly policy: RestartPolicy,
    private readonly jobType: 'service' | 'batch' | 'system',
    private readonly random: () => number = Math.random,
  ) {}

  /** Restarts counted in the current interval. */
  get restarts(): number {
    return this.count;
  }

  /** Decides what follows an exit with `exitCode` (`null`: killed or unknown) at `nowMs`. */
  onExit(exitCode: number | null, nowMs: number): RestartDecision {
    if (exitCode === 0 && this.jobType === 'batch') return { action: 'complete', reason: 'task completed successfully' };
    const what = exitCode === null ? 'task exited without a status' : `task exited with code ${exitCode}`;
    if (this.windowStartMs === undefined || nowMs - this.windowStartMs >= this.policy.intervalMs) {
      this.windowStartMs = nowMs;
      this.count = 0;
    }
    this.count += 1;
    if (this.count <= this.policy.attempts) {
      const delayMs = Math.round(this.policy.delayMs * (1 + JITTER * this.random()));
      return { action: 'restart', delayMs, reason: `${what}; restart ${this.count} of ${this.policy.attempts}` };
    }
    if (this.policy.mode === 'fail') {
      return { action: 'fail', reason: `${what}; exceeded ${this.policy.attempts} restarts in ${this.policy.intervalMs}ms` };
    }
    const waitMs = Math.max(this.policy.delayMs, this.windowStartMs + this.policy.intervalMs - nowMs);
    this.windowStartMs = undefined;
    this.count = 0;
    return { action: 'restart', delayMs: waitMs, reason: `${what}; restarts exhausted, waiting for the interval to pass` };
  }
}
