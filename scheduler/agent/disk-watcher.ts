import { diskUsageBytes } from './disk-usage.js';

/**
 * Enforces an allocation's `ephemeral_disk.size`. Every `intervalMs` it measures the allocation's
 * directories (`alloc/data`, each task's `local/`, logs: everything under the allocation directory)
 * and reports:
 *
 * - `usage` on every measurement (the agent publishes it with the allocation status);
 * - `over` once each time usage rises above `size` (an allocation event: a warning, the task keeps
 *   running so a short burst is tolerated);
 * - `hardLimit` once when usage exceeds the hard limit, `size × hardLimitFactor` (default 1.2, i.e.
 *   20 % headroom, agent config `disk_hard_limit_factor`): the agent then fails the allocation
 *   (its restart/reschedule policy decides what follows). The watcher stops after `hardLimit`.
 *
 * Scans never overlap: a slow scan delays the next tick rather than stacking walks.
 */

/** What a watcher reports. */
export type DiskEvent =
  | { type: 'usage'; usedBytes: number; limitBytes: number }
  | { type: 'over'; usedBytes: number; limitBytes: number; message: string }
  | { type: 'hardLimit'; usedBytes: number; hardLimitBytes: number; message: string };

/** Settings of one watch. */
export interface DiskWatchOptions {
  allocId: string;
  dirs: string[];
  sizeMb: number;
  /** Hard limit as a multiple of size; at least 1. */
  hardLimitFactor?: number;
  intervalMs?: number;
  onEvent: (event: DiskEvent) => void;
}

/** Default multiple of `size` past which an allocation is failed. */
export const DEFAULT_HARD_LIMIT_FACTOR = 1.2;
const MIB = 1024 * 1024;

/** One allocation's disk watch; `stop()` ends it. */
export class DiskWatcher {
  private timer: NodeJS.Timeout | undefined;
  private over = false;
  private stopped = false;
  /** The last measured usage, or `null` before the first scan. */
  lastUsedBytes: number | null = null;

  constructor(private readonly options: DiskWatchOptions) {
    if (!(options.sizeMb > 0)) throw new RangeError(`ephemeral_disk.size must be positive, got ${options.sizeMb}`);
    if ((options.hardLimitFactor ?? DEFAULT_HARD_LIMIT_FACTOR) < 1) throw new RangeError('disk_hard_limit_factor must be at least 1');
  }

  get limitBytes(): number {
    return this.options.sizeMb * MIB;
  }

  get hardLimitBytes(): number {
    return Math.floor(this.limitBytes * (this.options.hardLimitFactor ?? DEFAULT_HARD_LIMIT_FACTOR));
  }

  /** Starts measuring now and every `intervalMs` (default 10 s). */
  start(): this {
    void this.tick();
    return this;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One measurement; exposed so the agent can measure on demand (e.g. before a status report). */
  async measure(): Promise<number> {
    const used = await diskUsageBytes(this.options.dirs);
    if (this.stopped) return used;
    this.lastUsedBytes = used;
    const { onEvent, allocId, sizeMb } = this.options;
    onEvent({ type: 'usage', usedBytes: used, limitBytes: this.limitBytes });
    if (used > this.hardLimitBytes) {
      this.stop();
      onEvent({
        type: 'hardLimit',
        usedBytes: used,
        hardLimitBytes: this.hardLimitBytes,
        message: `allocation ${allocId} uses ${mib(used)} MiB, past the hard limit of ${mib(this.hardLimitBytes)} MiB (ephemeral_disk.size = ${sizeMb} MiB); failing it`,
      });
    } else if (used > this.limitBytes && !this.over) {
      this.over = true;
      onEvent({
        type: 'over',
        usedBytes: used,
        limitBytes: this.limitBytes,
        message: `allocation ${allocId} uses ${mib(used)} MiB, over ephemeral_disk.size = ${sizeMb} MiB; it is failed past ${mib(this.hardLimitBytes)} MiB`,
      });
    } else if (used <= this.limitBytes) {
      this.over = false;
    }
    return used;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.measure();
    } finally {
      if (!this.stopped) {
        this.timer = setTimeout(() => void this.tick(), this.options.intervalMs ?? 10_000);
        this.timer.unref();
      }
    }
  }
}

const mib = (bytes: number): string => (bytes / MIB).toFixed(1);
