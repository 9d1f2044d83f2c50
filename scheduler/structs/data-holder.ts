import type { Allocation } from './allocation.js';

/**
 * Where the data of a sticky/migrate allocation chain lives. A replacement of a replacement may
 * never have reached an agent (its node went down before it ran, e.g. while a whole cluster was
 * stopping node by node), so its directory holds nothing: the data is still with the newest
 * allocation of the chain that an agent ever reported on (non-empty `taskStates`). Migrations
 * pull from that allocation, the scheduler prefers its node, and garbage collection keeps it.
 */

/** Longest chain walked: a cycle (never built by the scheduler) cannot loop. */
const MAX_HOPS = 64;

/** True when an agent ever reported on the allocation, i.e. its directory may hold data. */
export function everReported(alloc: Allocation): boolean {
  for (const _ in alloc.taskStates) return true;
  return false;
}

/**
 * Starting at `previous` (an allocation's `previousAllocation`), the first allocation back along
 * the chain that an agent reported on; `previous` itself when none did or the chain is broken
 * (an allocation no longer in `find`).
 */
export function dataHolder(previous: Allocation, find: (id: string) => Allocation | undefined): Allocation {
  let current = previous;
  for (let hop = 0; hop < MAX_HOPS && !everReported(current) && current.previousAllocation !== ''; hop++) {
    const older = find(current.previousAllocation);
    if (!older) return previous;
    current = older;
  }
  return everReported(current) ? current : previous;
}
