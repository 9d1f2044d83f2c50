import type { JobType, ReschedulePolicy, RestartPolicy, UpdateStrategy } from './job.js';

/**
 * Nomad's defaults, in one place. The jobspec applies them; the scheduler and the agent read only
 * resolved values. Sources: Nomad's job specification documentation for `restart`, `reschedule`,
 * `update`, `ephemeral_disk`, `resources`, `affinity` and `spread`.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** `restart` when a group or task has none. */
export function defaultRestartPolicy(type: JobType): RestartPolicy {
  return type === 'batch'
    ? { attempts: 3, intervalMs: 24 * HOUR_MS, delayMs: 15_000, mode: 'fail' }
    : { attempts: 2, intervalMs: 30 * MINUTE_MS, delayMs: 15_000, mode: 'fail' };
}

/** `reschedule` when neither the group nor the job has one. */
export function defaultReschedulePolicy(type: JobType): ReschedulePolicy {
  return type === 'batch'
    ? { attempts: 1, intervalMs: 24 * HOUR_MS, delayMs: 5_000, delayFunction: 'constant', maxDelayMs: 0, unlimited: false }
    : { attempts: 0, intervalMs: 0, delayMs: 30_000, delayFunction: 'exponential', maxDelayMs: HOUR_MS, unlimited: true };
}

/** Values of an `update` block's omitted fields. */
export const DEFAULT_UPDATE_STRATEGY: Readonly<UpdateStrategy> = Object.freeze({
  maxParallel: 1,
  healthCheck: 'checks',
  minHealthyTimeMs: 10_000,
  healthyDeadlineMs: 5 * MINUTE_MS,
  progressDeadlineMs: 10 * MINUTE_MS,
  autoRevert: false,
  staggerMs: 30_000,
});

/** Other single-value defaults. */
export const DEFAULTS = Object.freeze({
  namespace: 'default',
  priority: 50,
  datacenters: ['*'] as readonly string[],
  groupCount: 1,
  cpuMhz: 100,
  memoryMb: 300,
  ephemeralDiskMb: 300,
  killTimeoutMs: 5_000,
  affinityWeight: 50,
  spreadWeight: 50,
});

/** Nomad's scoring constants (scheduler/stack.go, rank.go). */
export const SCORING = Object.freeze({
  serviceJobAntiAffinityPenalty: 20,
  batchJobAntiAffinityPenalty: 10,
  previousFailedAllocNodePenalty: 50,
  /** The limit iterator skips up to `maxSkip` nodes scoring below this before accepting them. */
  skipScoreThreshold: 0,
  maxSkip: 3,
  /** Candidate limit for batch jobs; service jobs use max(2, ceil(log2(nodes))). */
  minCandidateLimit: 2,
  /**
   * Candidate limit when a group has affinities or spreads. Nomad uses max(count, 100), which makes a
   * group of 1,000 scan 1,000 nodes per placement; our spread score is incremental and the tests
   * show targets are met with far fewer candidates (see scheduler/README.md).
   */
  affinityOrSpreadCandidateLimit: 16,
});
