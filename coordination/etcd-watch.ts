import type { IWatchResponse, Namespace } from 'etcd3';
import { CoordinatorUnavailable, PilotfishError, isPilotfishError } from '../common/errors.js';
import type { WatchEvent } from './coordinator.js';
import { EventQueue } from './event-queue.js';

export interface EtcdWatchOptions {
  /** The cluster's namespace; etcd3 strips its prefix from event keys. */
  ns: Namespace;
  prefix: string;
  signal: AbortSignal;
  afterRevision?: string;
  timeoutMs: number;
  /** A bounded call returning etcd's current revision; throws CoordinatorUnavailable when etcd does not answer. */
  probe: () => Promise<string>;
}

/**
 * A prefix watch on etcd. etcd3's watch manager reconnects and resumes from the last revision on
 * its own, but a paused or partitioned etcd leaves the stream silent rather than broken, so a
 * probe runs whenever nothing arrived for `timeoutMs`; when the probe fails, or the stream stays
 * disconnected for `timeoutMs`, the watch ends with CoordinatorUnavailable.
 */
export function watchEtcd(options: EtcdWatchOptions): AsyncIterable<WatchEvent> {
  const queue = new EventQueue<WatchEvent>(options.signal);
  if (options.signal.aborted) return queue;
  // "From now" means from the revision current at this call, not from whenever the stream
  // connects: read the revision first so no change made after the call can slip past.
  const start =
    options.afterRevision !== undefined ? Promise.resolve(options.afterRevision) : options.probe();
  start.then(
    (revision) => {
      if (!options.signal.aborted) attach(options, queue, String(BigInt(revision) + 1n));
    },
    (err: unknown) => queue.fail(err),
  );
  return queue;
}

function attach(options: EtcdWatchOptions, queue: EventQueue<WatchEvent>, startRevision: string): void {
  const watcher = options.ns.watch().prefix(options.prefix).startRevision(startRevision).watcher();
  let heardAtMs = Date.now();
  let disconnectedAtMs: number | null = Date.now();
  let probing = false;

  const stop = (err?: unknown) => {
    clearInterval(ticker);
    watcher.removeAllListeners('data');
    // Cancelling needs etcd's answer, which may never come; nobody waits for it.
    watcher.cancel().catch(() => undefined);
    if (err !== undefined) queue.fail(err);
  };

  watcher.on('connected', () => {
    heardAtMs = Date.now();
    disconnectedAtMs = null;
  });
  watcher.on('disconnected', () => {
    disconnectedAtMs ??= Date.now();
  });
  watcher.on('data', (res: IWatchResponse) => {
    heardAtMs = Date.now();
    for (const ev of res.events) {
      const deleted = ev.type === 'Delete';
      queue.push({
        type: deleted ? 'delete' : 'put',
        key: ev.kv.key.toString(),
        value: deleted ? null : ev.kv.value.toString(),
        revision: ev.kv.mod_revision,
      });
    }
  });
  watcher.on('error', (err: Error) => {
    // A cancelled watch (compacted start revision, permission) will not come back by itself.
    stop(new PilotfishError('COORDINATOR_PROTOCOL', `etcd watch on ${options.prefix} was cancelled: ${err.message}; read again and re-watch`, { cause: err }));
  });

  const ticker = setInterval(() => {
    const now = Date.now();
    if (disconnectedAtMs !== null && now - disconnectedAtMs > options.timeoutMs) {
      stop(new CoordinatorUnavailable(`etcd watch on ${options.prefix}: no stream to etcd for ${options.timeoutMs}ms`));
      return;
    }
    if (probing || now - heardAtMs < options.timeoutMs) return;
    probing = true;
    options
      .probe()
      .then(() => {
        heardAtMs = Date.now();
      })
      .catch((err: unknown) =>
        stop(isPilotfishError(err) ? err : new CoordinatorUnavailable(`etcd watch on ${options.prefix}: probe failed`, err)),
      )
      .finally(() => {
        probing = false;
      });
  }, Math.max(50, Math.floor(options.timeoutMs / 4)));
  ticker.unref();

  options.signal.addEventListener('abort', () => stop(), { once: true });
}
