import type { Node } from '../structs/index.js';

/**
 * Data-locality preference for replacements of allocations with data (part 2: `ephemeral_disk`
 * `migrate` when the previous node is gone): the same node scores 1, the same rack 0.75, the same
 * datacenter 0.5, anything else 0. Racks are read from node meta `rack`.
 */
export function localityScore(previous: Node, candidate: Node): number {
  if (previous.id === candidate.id) return 1;
  const rack = previous.meta['rack'];
  const sameDc = previous.datacenter === candidate.datacenter;
  if (sameDc && rack !== undefined && candidate.meta['rack'] === rack) return 0.75;
  return sameDc ? 0.5 : 0;
}

/** Locality scores of the tiers tried in order before the open walk: same rack, same datacenter. */
export const LOCALITY_TIERS: readonly number[] = [0.75, 0.5];

/** The tier name of a locality score, as shown with placement metrics. */
export function localityTier(score: number): 'node' | 'rack' | 'datacenter' | 'elsewhere' {
  return score >= 1 ? 'node' : score >= 0.75 ? 'rack' : score >= 0.5 ? 'datacenter' : 'elsewhere';
}

/** The first `count` node indices of `candidates`, other than `nearIdx`, whose locality score to it is `tier`. */
export function tierMembers(nodes: readonly Node[], nearIdx: number, candidates: ArrayLike<number>, count: number, tier: number): number[] {
  const near = nodes[nearIdx]!;
  const members: number[] = [];
  for (let k = 0; k < count; k++) {
    const i = candidates[k]!;
    if (i !== nearIdx && localityScore(near, nodes[i]!) === tier) members.push(i);
  }
  return members;
}
