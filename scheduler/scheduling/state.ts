import type { AllocatedResources, Allocation, Job, Node } from '../structs/index.js';

/**
 * The two small interfaces around the pure core, as in Nomad: a read-only {@link StateSnapshot}
 * goes in, a {@link Plan} comes out. The server implements the snapshot over its state store; the
 * test harness implements it over plain arrays.
 */

/** A consistent, read-only view of cluster state for one scheduling pass. Must not change during the pass. */
export interface StateSnapshot {
  /** Latest version of a job, or `undefined` when it was never registered (or purged). */
  job(namespace: string, jobId: string): Job | undefined;
  /** A specific version (needed to tell in-place from destructive updates); `undefined` if unknown. */
  jobVersion(namespace: string, jobId: string, version: number): Job | undefined;
  /**
   * Every node, in any status; the scheduler filters by status, eligibility and datacenter.
   * Return the same array instance for as long as no node changes, and a new array after any
   * change (never mutate the array or its nodes in place): the core caches per-node lookups keyed
   * on the array, which is what keeps large clusters cheap.
   */
  nodes(): readonly Node[];
  node(nodeId: string): Node | undefined;
  /** Every allocation of the job, terminal ones included (the reconciler needs failed ones). */
  allocsByJob(namespace: string, jobId: string): readonly Allocation[];
  /** Every allocation on the node, terminal ones included; the scheduler ignores terminal ones for capacity. */
  allocsByNode(nodeId: string): readonly Allocation[];
  /**
   * Optional index: resources held by the node's non-terminal allocations. When absent the core
   * sums `allocsByNode`, which is fine for small clusters but quadratic for large plans.
   */
  nodeUsage?(nodeId: string): AllocatedResources;
  /**
   * Optional, preferred over `nodeUsage` when present: the same figures for every node at once,
   * three numbers per node (cpu MHz, memory MB, disk MB) in the order of `nodes()`. Saves one map
   * lookup per node and pass, which is what large clusters pay most for.
   */
  nodeUsageArray?(): Float64Array;
}

/** Node scoring algorithm (Nomad's `scheduler_algorithm`). */
export type SchedulerAlgorithm = 'binpack' | 'spread';

/** Inputs that are not state: the clock and the random seed, so a pass is reproducible. */
export interface ScheduleOptions {
  /** Epoch ms treated as "now" (reschedule delays, create/modify times). */
  nowMs: number;
  /** Seed for the node shuffle and for generated ids. */
  seed: number;
  /** Default `binpack`. */
  algorithm?: SchedulerAlgorithm;
}
