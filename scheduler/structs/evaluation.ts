import type { AllocMetrics } from './allocation.js';

/**
 * Evaluations: a request to bring one job's allocations in line with its definition.
 */

/** Why an evaluation was created (Nomad's TriggeredBy values we use). */
export type EvalTrigger =
  | 'job-register'
  | 'job-deregister'
  | 'node-update'
  | 'node-drain'
  | 'alloc-failure'
  | 'alloc-stop'
  | 'retry-failed-alloc'
  | 'queued-allocs'
  | 'rolling-update'
  | 'job-revert';

/** `blocked` waits for capacity; `pending` with `waitUntilMs` is a delayed follow-up. */
export type EvalStatus = 'pending' | 'blocked' | 'complete' | 'failed' | 'canceled';

/** One evaluation of one job. */
export interface Evaluation {
  id: string;
  namespace: string;
  jobId: string;
  priority: number;
  type: 'service' | 'batch';
  triggeredBy: EvalTrigger;
  status: EvalStatus;
  statusDescription: string;
  /** Node whose change triggered the evaluation, if any. */
  nodeId: string;
  /** Epoch ms before which the evaluation must not run (delayed reschedules); 0 = now. */
  waitUntilMs: number;
  previousEval: string;
  nextEval: string;
  blockedEval: string;
  /** Groups whose placements failed, with the metrics explaining why. */
  failedTgAllocs: Record<string, AllocMetrics>;
  /** Per group, how many allocations are still waiting for placement. */
  queuedAllocations: Record<string, number>;
  createTimeMs: number;
  modifyTimeMs: number;
}

/**
 * A new pending evaluation of `job`, runnable now unless `extra.waitUntilMs` says otherwise.
 * The caller supplies the id: the server uses random UUIDs, the test harness a counter.
 */
export function newEvaluation(
  id: string,
  job: { namespace: string; id: string; priority: number; type: Evaluation['type'] },
  triggeredBy: EvalTrigger,
  nowMs: number,
  extra: Partial<Evaluation> = {},
): Evaluation {
  return {
    id,
    namespace: job.namespace,
    jobId: job.id,
    priority: job.priority,
    type: job.type,
    triggeredBy,
    status: 'pending',
    statusDescription: '',
    nodeId: '',
    waitUntilMs: 0,
    previousEval: '',
    nextEval: '',
    blockedEval: '',
    failedTgAllocs: {},
    queuedAllocations: {},
    createTimeMs: nowMs,
    modifyTimeMs: nowMs,
    ...extra,
  };
}
