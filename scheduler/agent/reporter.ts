import type { Logger } from '../../common/logger.js';
import { backoffDelayMs, delay } from '../../common/retry.js';
import type { ApiClient } from '../api/client.js';
import type { AllocReport } from './alloc-runner.js';

/**
 * Sends allocation status to the server. Reports are coalesced per allocation (only the latest
 * matters) and sent in batches; while the server is unreachable they are kept and retried with
 * backoff, so nothing the tasks did is lost and the tasks themselves never wait for the server.
 */
export class StatusReporter {
  private readonly pending = new Map<string, AllocReport>();
  private wake: (() => void) | undefined;

  constructor(
    private readonly client: () => ApiClient,
    private readonly nodeId: string,
    private readonly logger: Logger,
  ) {}

  /** Queues the latest state of an allocation. */
  push(report: AllocReport): void {
    this.pending.set(report.id, report);
    this.wake?.();
  }

  /** Sends until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    signal.addEventListener('abort', () => this.wake?.(), { once: true });
    while (!signal.aborted) {
      if (this.pending.size === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        // Coalesce a burst of changes (a task starting fires several) into one request.
        await delay(50, signal).catch(() => undefined);
        continue;
      }
      const batch = [...this.pending.values()];
      try {
        await this.client().post(`/v1/node/${this.nodeId}/allocations`, { allocs: batch });
        for (const report of batch) if (this.pending.get(report.id) === report) this.pending.delete(report.id);
        failures = 0;
      } catch (err) {
        const status = (err as { details?: { status?: number } }).details?.status ?? 0;
        if (status >= 400 && status < 500) {
          // The server refused the batch itself (not an outage): retrying would block every later report.
          this.logger.error({ err: String(err), allocs: batch.map((r) => r.id) }, 'server refused allocation status; dropping it');
          for (const report of batch) if (this.pending.get(report.id) === report) this.pending.delete(report.id);
          continue;
        }
        failures += 1;
        const waitMs = backoffDelayMs(failures, { initialMs: 250, maxMs: 5_000, jitter: 0.2 });
        if (failures === 1 || failures % 20 === 0) this.logger.warn({ err: String(err), waitMs }, 'cannot report allocation status; will retry');
        await delay(waitMs, signal).catch(() => undefined);
      }
    }
  }
}
