import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../../common/logger.js';

/**
 * Watches a directory tree and says when a backup is due: after `quietPeriodMs` without a change,
 * or `maxDelayMs` after the first change not yet backed up when the changes never pause.
 * `pending` counts change events since the last backup started (a gauge, not a file count).
 */
export class ChangeTracker {
  private watcher: FSWatcher | undefined;
  private firstChangeAtMs: number | null = null;
  private lastChangeAtMs = 0;
  pending = 0;

  constructor(
    private readonly path: string,
    private readonly options: { quietPeriodMs: number; maxDelayMs: number },
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts watching (recursive, inotify on Linux). Idempotent. */
  start(): void {
    if (this.watcher) return;
    try {
      this.watcher = watch(this.path, { recursive: true }, () => this.changed());
    } catch (err) {
      // The directory is gone or unreadable: nothing to watch; a change is assumed, so the next
      // backup attempt reports what is wrong with it.
      this.logger.warn({ err: (err as Error).message, path: this.path }, 'cannot watch the directory; backing up on the schedule only');
      this.changed();
      return;
    }
    this.watcher.on('error', (err) => {
      // The tree changed under the watcher (a directory replaced); count it as a change and re-arm.
      this.logger.debug({ err: err.message }, 'directory watch error; watching again');
      this.stop();
      this.changed();
      this.start();
    });
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Records a change (also called by the watcher). */
  changed(): void {
    const now = this.now();
    this.firstChangeAtMs ??= now;
    this.lastChangeAtMs = now;
    this.pending++;
  }

  /** Whether changes are waiting and the quiet period or the maximum delay has passed. */
  due(): boolean {
    if (this.firstChangeAtMs === null) return false;
    const now = this.now();
    return now - this.lastChangeAtMs >= this.options.quietPeriodMs || now - this.firstChangeAtMs >= this.options.maxDelayMs;
  }

  /** A backup starts now: changes from here on belong to the next one. */
  backupStarted(): { pending: number } {
    const pending = this.pending;
    this.firstChangeAtMs = null;
    this.pending = 0;
    return { pending };
  }

  /** The backup that started failed: its changes are pending again. */
  backupFailed(pending: number): void {
    this.pending += pending;
    this.firstChangeAtMs ??= this.now();
  }
}
