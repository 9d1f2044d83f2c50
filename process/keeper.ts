import { backoffDelayMs, type BackoffOptions } from '../common/retry.js';
import type { Logger } from '../common/logger.js';
import { startChild, type Child, type ChildExit, type ChildSpec } from './child.js';

/** Options of a {@link ChildKeeper}. */
export interface KeeperOptions {
  /** Delay before each restart; grows with consecutive crashes. */
  backoff: BackoffOptions;
  /** A child that ran at least this long resets the crash count. */
  stableAfterMs: number;
  /** SIGTERM → SIGKILL bound used by {@link ChildKeeper.stop}. */
  stopGraceMs: number;
  /** Called after every (re)start, e.g. to wait for readiness or to re-apply a role. */
  onStart?: (child: Child, restarts: number) => void;
  /** Called when the child exited without being asked to. */
  onCrash?: (exit: ChildExit, restarts: number) => void;
}

/**
 * Keeps one child running: when it exits without {@link stop} having been called, it is started again
 * after an exponential backoff. `restarts` counts every restart since creation (a metric).
 */
export class ChildKeeper {
  private child: Child | undefined;
  private stopped = true;
  private crashes = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  restarts = 0;

  constructor(
    private readonly spec: () => ChildSpec,
    private readonly options: KeeperOptions,
    private readonly logger: Logger,
  ) {}

  /** The running child, if any. */
  get current(): Child | undefined {
    return this.child?.running ? this.child : undefined;
  }

  /** Starts the child (no-op when it runs). Throws PROCESS_FAILED when it cannot be spawned. */
  start(): Child {
    if (this.child?.running) return this.child;
    this.stopped = false;
    const spec = this.spec();
    const startedAt = Date.now();
    const child = startChild(spec, this.logger);
    this.child = child;
    this.options.onStart?.(child, this.restarts);
    void child.exited.then((exit) => {
      if (this.stopped || this.child !== child) return;
      if (Date.now() - startedAt >= this.options.stableAfterMs) this.crashes = 0;
      const waitMs = backoffDelayMs(this.crashes, this.options.backoff);
      this.crashes++;
      this.logger.warn({ child: spec.name, ...exit, restartInMs: waitMs }, 'child exited unexpectedly; restarting');
      this.options.onCrash?.(exit, this.restarts);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (this.stopped) return;
        this.restarts++;
        try {
          this.start();
        } catch (err) {
          this.logger.error({ child: spec.name, err: (err as Error).message }, 'restart failed');
        }
      }, waitMs);
    });
    return child;
  }

  /** Stops the child (SIGTERM, SIGKILL after `graceMs`) and disables restarts. Resolves when it has exited. Idempotent. */
  async stop(graceMs = this.options.stopGraceMs): Promise<ChildExit | undefined> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    return this.child?.stop(graceMs);
  }

  /** Forwards a signal to the running child. */
  signal(signal: NodeJS.Signals): void {
    this.child?.signal(signal);
  }
}
