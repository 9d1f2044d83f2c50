import type { Affinity, Job, Node, TaskGroup } from '../structs/index.js';
import { SCORING, resolveTarget } from '../structs/index.js';
import { checkOperator } from './operators.js';
import type { SchedulerAlgorithm } from './state.js';

/**
 * Scoring parts, each normalised to [-1, 1] and averaged over the parts that apply to a node, as in
 * Nomad: fit (binpack or spread), job anti-affinity, reschedule penalty, affinities, spread.
 */

/** Nomad's maximum fit score (20 - 10^0 - 10^0). */
const MAX_FIT = 18;

// 10^x for x in [0, 1] by linear interpolation over 4096 steps (relative error < 2e-7): the fit is
// computed for every candidate of every placement and Math.pow dominated the profile.
const POW_STEPS = 4096;
const POW_TABLE = new Float64Array(POW_STEPS + 2);
for (let k = 0; k <= POW_STEPS + 1; k++) POW_TABLE[k] = Math.pow(10, k / POW_STEPS);

function pow10(x: number): number {
  if (!(x >= 0 && x <= 1)) return Math.pow(10, x);
  const f = x * POW_STEPS;
  const k = f | 0;
  const lo = POW_TABLE[k]!;
  return lo + (POW_TABLE[k + 1]! - lo) * (f - k);
}

/**
 * Fit of a node given the fractions of cpu and memory that would stay free after the placement.
 * `binpack` prefers fuller nodes (Nomad's ScoreFitBinPack), `spread` emptier ones (ScoreFitSpread).
 */
export function fitScore(algorithm: SchedulerAlgorithm, freeCpu: number, freeMem: number): number {
  const total = pow10(freeCpu) + pow10(freeMem);
  const raw = algorithm === 'spread' ? total - 2 : 20 - total;
  return Math.min(MAX_FIT, Math.max(0, raw)) / MAX_FIT;
}

/** Job anti-affinity: `-(collisions + 1) / count` when the node already has allocations of the group. */
export function antiAffinityScore(collisions: number, count: number): number {
  return -(collisions + 1) / Math.max(count, 1);
}

/** All affinities that apply to a group: job, group and its tasks'. */
export function groupAffinities(job: Job, group: TaskGroup): Affinity[] {
  return [...job.affinities, ...group.affinities, ...group.tasks.flatMap((t) => t.affinities)];
}

/** Sum of matching affinity weights over the sum of absolute weights: in [-1, 1]; 0 without affinities. */
export function affinityScore(node: Node, affinities: readonly Affinity[]): number {
  let sum = 0;
  let total = 0;
  for (const a of affinities) {
    total += Math.abs(a.weight);
    if (checkOperator(a.operator, resolveTarget(a.attribute, node), a.value)) sum += a.weight;
  }
  return total === 0 ? 0 : sum / total;
}

/**
 * How many candidates a placement scores (Nomad's limit iterator): `max(2, ceil(log2 n))` for
 * service jobs, 2 for batch, and `SCORING.affinityOrSpreadCandidateLimit` at least when spreads or
 * affinities score (see the README's differences from Nomad).
 */
export function candidateLimit(jobType: string, nodeCount: number, affinityOrSpread: boolean): number {
  let limit: number = SCORING.minCandidateLimit;
  if (jobType === 'service' && nodeCount > 0) limit = Math.max(limit, Math.ceil(Math.log2(nodeCount)));
  if (affinityOrSpread) limit = Math.max(limit, SCORING.affinityOrSpreadCandidateLimit);
  return limit;
}
