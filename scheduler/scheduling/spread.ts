import type { Job, Spread, TaskGroup } from '../structs/index.js';
import type { PassContext } from './context.js';

/**
 * Spread scoring. Each spread gives a node the boost `(desired - (used + 1)) / desired` for the node's
 * value, scaled by the spread's share of the total spread weight: values below their target pull
 * placements, values at or above it push them away, values with no target (or a node without the
 * attribute) score -1. Targets are percentages of the group count; when they sum to less than 100,
 * every other value shares the rest. Without targets every value seen on a feasible node gets an
 * equal share (Nomad instead compares against the least-used value seen so far). Counts are kept
 * per bucket, so scoring a node costs O(spreads), not O(allocations).
 */

interface SpreadState {
  /** Value id per node index (node table column); -1 = attribute missing. */
  valueOf: Int32Array;
  /** Bucket per value id; -1 = no target. */
  bucketOf: Int32Array;
  desired: Float64Array;
  used: Float64Array;
  weightShare: number;
}

/** Spread scorer of one task group during one pass. */
export class SpreadScorer {
  private readonly spreads: SpreadState[] = [];

  constructor(ctx: PassContext, job: Job, group: TaskGroup, feasible: Int32Array, feasibleCount: number) {
    const all: Spread[] = [...job.spreads, ...group.spreads];
    const totalWeight = all.reduce((s, x) => s + Math.abs(x.weight), 0);
    if (totalWeight === 0) return;
    for (const spread of all) {
      const col = ctx.table.column(spread.attribute);
      const bucketOf = new Int32Array(col.values.length).fill(-1);
      let desired: Float64Array;
      if (spread.targets.length > 0) {
        // one bucket per target, then one shared by every other value
        const rest = spread.targets.length;
        desired = new Float64Array(rest + 1);
        let sum = 0;
        spread.targets.forEach((t, j) => {
          desired[j] = (t.percent / 100) * group.count;
          sum += t.percent;
        });
        desired[rest] = (Math.max(0, 100 - sum) / 100) * group.count;
        col.values.forEach((v, id) => {
          const j = spread.targets.findIndex((t) => t.value === v);
          bucketOf[id] = j >= 0 ? j : rest;
        });
      } else {
        // one bucket per value present on a feasible node, each an equal share
        let buckets = 0;
        for (let k = 0; k < feasibleCount; k++) {
          const v = col.valueOf[feasible[k]!]!;
          if (v >= 0 && bucketOf[v] === -1) bucketOf[v] = buckets++;
        }
        desired = new Float64Array(Math.max(buckets, 1)).fill(group.count / Math.max(buckets, 1));
      }
      const used = new Float64Array(desired.length);
      for (let k = 0; k < ctx.proposedCount; k++) {
        if (ctx.proposedGroup[k] !== group.name) continue;
        const v = col.valueOf[ctx.proposedNode[k]!]!;
        const b = v >= 0 ? bucketOf[v]! : -1;
        if (b >= 0) used[b] = used[b]! + 1;
      }
      this.spreads.push({ valueOf: col.valueOf, bucketOf, desired, used, weightShare: Math.abs(spread.weight) / totalWeight });
    }
  }

  /** True when the group has at least one spread. */
  get active(): boolean {
    return this.spreads.length > 0;
  }

  /** Boost in [-1, 1] for placing on node `i`. */
  score(i: number): number {
    let total = 0;
    for (const s of this.spreads) {
      const v = s.valueOf[i]!;
      const b = v >= 0 ? s.bucketOf[v]! : -1;
      const desired = b >= 0 ? s.desired[b]! : 0;
      // as Nomad: the count includes the placement being scored
      total += desired > 0 ? ((desired - s.used[b]! - 1) / desired) * s.weightShare : -s.weightShare;
    }
    return total;
  }

  /** Records a placement on node `i`. */
  commit(i: number): void {
    for (const s of this.spreads) {
      const v = s.valueOf[i]!;
      const b = v >= 0 ? s.bucketOf[v]! : -1;
      if (b >= 0) s.used[b] = s.used[b]! + 1;
    }
  }
}
