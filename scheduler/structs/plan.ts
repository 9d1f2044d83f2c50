import type { AllocMetrics, Allocation } from './allocation.js';
import type { Evaluation } from './evaluation.js';

/**
 * The scheduler's output for one evaluation. The server applies it atomically (after checking that
 * every node still has room); `job plan` prints its annotations without applying it.
 */

/** Per task group counts of what the plan does (Nomad's DesiredUpdates), for `job plan` output. */
export interface DesiredUpdates {
  place: number;
  stop: number;
  ignore: number;
  migrate: number;
  inPlaceUpdate: number;
  destructiveUpdate: number;
  /** Failed allocations replaced in this plan. */
  rescheduleNow: number;
  /** Failed allocations whose replacement waits for a delayed evaluation. */
  rescheduleLater: number;
  lost: number;
}

/** Human-facing summary of a plan. */
export interface PlanAnnotations {
  desiredTgUpdates: Record<string, DesiredUpdates>;
}

/** What one scheduling pass wants changed. */
export interface Plan {
  evalId: string;
  namespace: string;
  jobId: string;
  /** Version of the job the new and updated allocations run. */
  jobVersion: number;
  priority: number;
  /** New allocations per node id. */
  nodeAllocation: Record<string, Allocation[]>;
  /** Existing allocations moved to the new job version without a restart, per node id. */
  nodeInPlaceUpdate: Record<string, Allocation[]>;
  /** Existing allocations to stop, evict or mark lost (desired/client status already set), per node id. */
  nodeUpdate: Record<string, Allocation[]>;
  /** Existing allocations whose bookkeeping changed (e.g. `followupEvalId`); no effect on the node. */
  attributeUpdates: Allocation[];
  /** Delayed evaluations to create (reschedules waiting for their delay). */
  followupEvals: Evaluation[];
  /** Groups with placements that found no node; the server keeps a blocked evaluation for them. */
  failedTgAllocs: Record<string, AllocMetrics>;
  annotations: PlanAnnotations;
}
