import type { AllocMetrics } from '../structs/index.js';
import type { NodeTable } from './node-table.js';

/**
 * Per-placement feasibility of `per_alloc` host volumes (Nomad semantics): allocation index N of a
 * group with `volume { source = "data", per_alloc = true }` may only go to a node offering the
 * volume `data[N]`. This cannot be part of the per-node pass (`feasible.ts`), which is shared by
 * every placement of a group, so `GroupStack.select` narrows its candidates to the result of
 * {@link perAllocPool}. Groups without such volumes never reach this file.
 */

/**
 * The otherwise feasible nodes (`feasible[i] === 1`) that hold `source[index]` for every source,
 * ascending by node index. Uses the table's volume index, so the cost is the number of holders.
 */
export function perAllocPool(table: NodeTable, feasible: Uint8Array, sources: readonly string[], index: number): readonly number[] {
  let pool = table.volumeHolders(`${sources[0]}[${index}]`).filter((i) => feasible[i] === 1);
  for (let v = 1; v < sources.length && pool.length > 0; v++) {
    const holders = new Set(table.volumeHolders(`${sources[v]}[${index}]`));
    pool = pool.filter((i) => holders.has(i));
  }
  return pool;
}

/**
 * Failure metrics of a `per_alloc` placement: `base` (the walk's failure, or the static filter
 * counts) plus the `missing` otherwise feasible nodes that lack the indexed volume, counted as
 * filtered under the volume's name — what `alloc status` and `job plan` show.
 */
export function perAllocFailureMetrics(base: AllocMetrics, sources: readonly string[], index: number, missing: number): AllocMetrics {
  if (missing === 0) return base;
  const names = sources.map((source) => `${source}[${index}]`).join(', ');
  return {
    ...base,
    nodesFiltered: base.nodesFiltered + missing,
    constraintFiltered: { ...base.constraintFiltered, [`missing host volume ${names}`]: missing },
  };
}

/** Failure metrics when only the per-node pass filtered: no candidate was evaluated. */
export function staticFailure(nodesFiltered: number, nodesAvailable: Record<string, number>, constraintFiltered: Record<string, number>): AllocMetrics {
  return { nodesEvaluated: 0, nodesFiltered, nodesAvailable, constraintFiltered, nodesExhausted: 0, dimensionExhausted: {}, scoreMetaData: [] };
}
