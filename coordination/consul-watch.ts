import type { ConsulApi, ConsulKvItem } from './consul-api.js';
import type { WatchEvent } from './coordinator.js';
import { EventQueue } from './event-queue.js';

export interface ConsulWatchOptions {
  api: ConsulApi;
  /** Full KV prefix, `pilotfish/<cluster>/<prefix>`. */
  prefix: string;
  /** Length of `pilotfish/<cluster>/`, stripped from event keys. */
  clusterPrefixLength: number;
  signal: AbortSignal;
  afterRevision?: string;
  /** How long one blocking query may wait for a change. */
  waitMs: number;
  /** Runs one call through the adapter's choke point, allowed `extraMs` beyond its timeout. */
  run<T>(what: string, extraMs: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

/**
 * A prefix watch on Consul KV through blocking queries (`?recurse&index=N&wait=…`). Consul returns
 * the whole prefix on every change, not a change log, so events come from diffing two snapshots:
 * changes that happen between two answers collapse into the last one (a key created and deleted in
 * between is never seen), and with `afterRevision` only keys modified after it are replayed, as puts
 * (Consul keeps no tombstones to replay deletions from). Each query is bounded by `waitMs` plus
 * Consul's jitter (wait/16) plus the adapter timeout, so a lost Consul ends the watch with
 * CoordinatorUnavailable after at most that long.
 */
export function watchConsul(options: ConsulWatchOptions): AsyncIterable<WatchEvent> {
  const queue = new EventQueue<WatchEvent>(options.signal);
  void run(options, queue).catch((err: unknown) => queue.fail(err));
  return queue;
}

async function run(options: ConsulWatchOptions, queue: EventQueue<WatchEvent>): Promise<void> {
  const { api, prefix, signal } = options;
  const relative = (key: string) => key.slice(options.clusterPrefixLength);
  const call = <T>(extraMs: number, fn: (s: AbortSignal) => Promise<T>) =>
    options.run('watch', extraMs, (s) => fn(AbortSignal.any([s, signal])));

  const first = await call(0, (s) => api.kvList(prefix, s));
  let known = snapshot(first.items);
  let index = Math.max(1, first.index);
  if (options.afterRevision !== undefined) {
    const after = Number(options.afterRevision);
    for (const item of sorted(first.items)) {
      if (item.ModifyIndex > after) queue.push(put(relative(item.Key), item));
    }
  }
  const blockMs = options.waitMs + Math.ceil(options.waitMs / 16);
  while (!signal.aborted) {
    const res = await call(blockMs, (s) => api.kvList(prefix, s, { index, waitMs: options.waitMs }));
    if (signal.aborted) return;
    const events: WatchEvent[] = [];
    for (const item of res.items) {
      if (known.get(item.Key) !== item.ModifyIndex) events.push(put(relative(item.Key), item));
    }
    const present = new Set(res.items.map((item) => item.Key));
    for (const key of known.keys()) {
      if (!present.has(key)) events.push({ type: 'delete', key: relative(key), value: null, revision: String(res.index) });
    }
    events.sort((a, b) => Number(a.revision) - Number(b.revision));
    for (const event of events) queue.push(event);
    known = snapshot(res.items);
    // Consul's documented rule: an index that goes backwards (a snapshot restore) resets the query.
    index = res.index < index ? 1 : Math.max(1, res.index);
  }
}

function snapshot(items: ConsulKvItem[]): Map<string, number> {
  return new Map(items.map((item) => [item.Key, item.ModifyIndex]));
}

function sorted(items: ConsulKvItem[]): ConsulKvItem[] {
  return [...items].sort((a, b) => a.ModifyIndex - b.ModifyIndex);
}

function put(key: string, item: ConsulKvItem): WatchEvent {
  return { type: 'put', key, value: item.Value ?? '', revision: String(item.ModifyIndex) };
}
