import type { Allocation, Evaluation, Job } from '../structs/index.js';
import { allocIndex, dataHolder, isTerminal } from '../structs/index.js';

/**
 * Which terminal allocations and evaluations the server may forget, as Nomad's core GC: an
 * evaluation that finished (complete, failed, canceled) longer ago than `evalGcThreshold`
 * (`batchEvalGcThreshold` for batch jobs); an allocation whose tasks are over (client status
 * complete, failed or lost) and that nothing needs any more, last changed longer ago than the same
 * thresholds. Pure: reads a view of the state, returns ids.
 *
 * Never collected, whatever their age:
 * - an allocation that still fills its slot (desired `run`, not replaced) of a job that runs:
 *   a complete batch allocation or a failed one that may not be rescheduled counts towards
 *   `count`, so forgetting it would place it again;
 * - the data of a migration that may still happen (Nomad #16708): for every allocation that has
 *   not started yet (`pending`) and has a predecessor, the predecessor chain up to the allocation
 *   that holds the data (`structs/data-holder.ts`);
 * - for every sticky/migrate group of a job that exists, the last stopped allocation of each
 *   name and its chain to the data holder: a new placement of that name resumes from it (a job
 *   stopped and run again keeps its data, see `reconcile.ts`). These are at most `count` per group.
 */

/** What the GC reads. */
export interface GcView {
  allocs(): readonly Allocation[];
  alloc(id: string): Allocation | undefined;
  evals(): readonly Evaluation[];
  job(namespace: string, id: string): Job | undefined;
}

/** Ages, in ms, past which terminal objects are collected. */
export interface GcThresholds {
  evalGcThresholdMs: number;
  batchEvalGcThresholdMs: number;
}

const CLIENT_TERMINAL = new Set(['complete', 'failed', 'lost']);
const EVAL_TERMINAL = new Set(['complete', 'failed', 'canceled']);

/** Adds `first` and its predecessors up to the data holder to `out`. */
function protectChain(view: GcView, first: Allocation, out: Set<string>): void {
  const holder = dataHolder(first, (id) => view.alloc(id));
  let current: Allocation | undefined = first;
  for (let hop = 0; current && hop < 64; hop++) {
    out.add(current.id);
    if (current.id === holder.id || current.previousAllocation === '') break;
    current = view.alloc(current.previousAllocation);
  }
}

/** Allocations whose data may still be pulled or resumed (see the file comment). */
export function protectedAllocIds(view: GcView): Set<string> {
  const out = new Set<string>();
  const lastStopped = new Map<string, Allocation>();
  for (const a of view.allocs()) {
    if (!isTerminal(a) && a.clientStatus === 'pending' && a.previousAllocation !== '') {
      const prev = view.alloc(a.previousAllocation);
      if (prev) protectChain(view, prev, out);
    }
    if (isTerminal(a) && a.nextAllocation === '') {
      const group = view.job(a.namespace, a.jobId)?.groups.find((g) => g.name === a.taskGroup);
      if (!group || (!group.ephemeralDisk.sticky && !group.ephemeralDisk.migrate)) continue;
      const key = `${a.namespace}/${a.jobId}/${a.taskGroup}/${allocIndex(a.name)}`;
      const seen = lastStopped.get(key);
      if (!seen || a.modifyTimeMs > seen.modifyTimeMs) lastStopped.set(key, a);
    }
  }
  for (const a of lastStopped.values()) protectChain(view, a, out);
  return out;
}

function thresholdMs(view: GcView, namespace: string, jobId: string, t: GcThresholds): number {
  return view.job(namespace, jobId)?.type === 'batch' ? t.batchEvalGcThresholdMs : t.evalGcThresholdMs;
}

/** The ids the server may delete now. */
export function gcCandidates(view: GcView, nowMs: number, t: GcThresholds): { allocIds: string[]; evalIds: string[] } {
  const keep = protectedAllocIds(view);
  const allocIds: string[] = [];
  for (const a of view.allocs()) {
    if (!CLIENT_TERMINAL.has(a.clientStatus) || keep.has(a.id)) continue;
    const job = view.job(a.namespace, a.jobId);
    const fillsSlot = a.desiredStatus === 'run' && a.nextAllocation === '' && job !== undefined && !job.stop;
    if (fillsSlot) continue;
    if (nowMs - a.modifyTimeMs >= thresholdMs(view, a.namespace, a.jobId, t)) allocIds.push(a.id);
  }
  const evalIds: string[] = [];
  for (const e of view.evals()) {
    if (EVAL_TERMINAL.has(e.status) && nowMs - e.modifyTimeMs >= thresholdMs(view, e.namespace, e.jobId, t)) evalIds.push(e.id);
  }
  return { allocIds, evalIds };
}

/** Periodic server GC: one state op per run deleting what {@link gcCandidates} returns. */
export class ServerGc {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: GcView & { apply(op: { deleteAllocs: string[]; deleteEvals: string[] }): void },
    private readonly thresholds: GcThresholds,
    private readonly log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void },
    private readonly now: () => number = Date.now,
  ) {}

  /** Collects once; returns the counts. A failure deletes nothing (the op is atomic) and is logged. */
  run(): { allocs: number; evals: number } {
    try {
      const { allocIds, evalIds } = gcCandidates(this.store, this.now(), this.thresholds);
      if (allocIds.length === 0 && evalIds.length === 0) return { allocs: 0, evals: 0 };
      this.store.apply({ deleteAllocs: allocIds, deleteEvals: evalIds });
      this.log.info({ allocs: allocIds.length, evals: evalIds.length }, 'garbage-collected terminal allocations and evaluations');
      return { allocs: allocIds.length, evals: evalIds.length };
    } catch (err) {
      this.log.error({ err: String(err) }, 'garbage collection failed; nothing was deleted');
      return { allocs: 0, evals: 0 };
    }
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.run(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
