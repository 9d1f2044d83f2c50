import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../common/logger.js';
import type { Allocation } from '../structs/index.js';
import { isTerminal } from '../structs/index.js';
import type { PersistedAlloc } from './alloc-runner.js';

/**
 * The agent's garbage collector of terminal allocation directories, as Nomad's client GC
 * (`gc_interval`, `gc_max_allocs`) plus an age limit (`gc_max_age`; Nomad's client has none, its
 * server-side GC plays that role). Every interval: when the node holds more than `maxAllocs`
 * allocation directories, terminal ones are removed oldest first until it does not; terminal ones
 * older than `maxAgeMs` (since their last state change) are removed regardless.
 *
 * Never removed:
 * - anything while the server cannot be asked: the server's current word (its allocation list and
 *   the `keep` ids: data a migration may still pull or a new placement may resume, see
 *   server/gc.ts) is fetched right before each run, and a failed fetch skips the run;
 * - an allocation whose snapshot is being streamed to a migrating successor, or that a local
 *   allocation still starting names as its previous one (Nomad #16708);
 * - a directory whose allocation cannot be read (not ours to judge) or that is not terminal.
 */

/** The GC settings of agent.yaml. */
export interface AgentGcConfig {
  intervalMs: number;
  maxAllocs: number;
  maxAgeMs: number;
}

/** One allocation directory as the GC sees it. */
export interface GcEntry {
  id: string;
  terminal: boolean;
  /** Last state change (mtime of alloc.json). */
  changedAtMs: number;
}

/** Which directories to remove, oldest first. Pure. */
export function agentGcVictims(entries: readonly GcEntry[], keep: ReadonlySet<string>, nowMs: number, config: AgentGcConfig): string[] {
  const terminal = entries.filter((e) => e.terminal && !keep.has(e.id)).sort((a, b) => a.changedAtMs - b.changedAtMs);
  const victims: string[] = [];
  let total = entries.length;
  for (const e of terminal) {
    if (total > config.maxAllocs || nowMs - e.changedAtMs >= config.maxAgeMs) {
      victims.push(e.id);
      total--;
    }
  }
  return victims;
}

/** What the collector needs from its agent. */
export interface AgentGcDeps {
  allocsDir: string;
  config: AgentGcConfig;
  /** The server's allocations of this node and the ids it wants kept; throws when unreachable. */
  fetchServerView(): Promise<{ allocs: { alloc: Allocation }[]; keep: string[] }>;
  /** Live runners: their terminal flag, previous allocation, and destroy (hooks incl. the migration guard). */
  runners: ReadonlyMap<string, { terminal: boolean; allocation: Allocation; destroy(): Promise<void> }>;
  forgetRunner(id: string): void;
  /** True while a migration snapshot of the allocation is being served. */
  inFlight(id: string): boolean;
  logger: Logger;
  now?: () => number;
}

const CLIENT_TERMINAL = new Set(['complete', 'failed', 'lost']);

/** One GC run; returns the removed allocation ids. */
export async function collectAllocDirs(deps: AgentGcDeps): Promise<string[]> {
  let view: Awaited<ReturnType<AgentGcDeps['fetchServerView']>>;
  try {
    view = await deps.fetchServerView();
  } catch (err) {
    deps.logger.debug({ err: String(err) }, 'garbage collection skipped: the server cannot be asked');
    return [];
  }
  const listed = new Map(view.allocs.map((a) => [a.alloc.id, a.alloc]));
  const keep = new Set(view.keep);
  for (const runner of deps.runners.values()) if (!runner.terminal && runner.allocation.previousAllocation !== '') keep.add(runner.allocation.previousAllocation);
  const entries: GcEntry[] = [];
  for (const id of await readdir(deps.allocsDir).catch(() => [] as string[])) {
    const file = join(deps.allocsDir, id, 'alloc.json');
    try {
      const [doc, info] = await Promise.all([readFile(file, 'utf8').then((t) => JSON.parse(t) as PersistedAlloc), stat(file)]);
      const runner = deps.runners.get(id);
      const server = listed.get(id);
      const terminal = runner
        ? runner.terminal
        : CLIENT_TERMINAL.has(doc.clientStatus) || server === undefined || (isTerminal(server) && server.clientStatus !== 'running' && server.clientStatus !== 'pending');
      entries.push({ id, terminal, changedAtMs: info.mtimeMs });
    } catch {
      // unreadable or half-written: never removed on a guess
    }
  }
  for (const e of entries) if (deps.inFlight(e.id)) keep.add(e.id);
  const removed: string[] = [];
  for (const id of agentGcVictims(entries, keep, (deps.now ?? Date.now)(), deps.config)) {
    if (deps.inFlight(id)) continue; // a stream may have started since the list was made
    const runner = deps.runners.get(id);
    try {
      if (runner) {
        await runner.destroy();
        deps.forgetRunner(id);
      } else await rm(join(deps.allocsDir, id), { recursive: true, force: true });
      removed.push(id);
    } catch (err) {
      deps.logger.warn({ allocId: id, err: String(err) }, 'could not remove the allocation directory; will retry');
    }
  }
  if (removed.length > 0) deps.logger.info({ removed: removed.length, allocIds: removed }, 'garbage-collected terminal allocation directories');
  return removed;
}
