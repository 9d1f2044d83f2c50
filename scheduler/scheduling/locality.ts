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
