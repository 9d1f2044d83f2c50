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
