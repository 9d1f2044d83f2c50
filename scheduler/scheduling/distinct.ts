import type { Constraint, Job, TaskGroup } from '../structs/index.js';
import type { PassContext } from './context.js';

/**
 * `distinct_hosts` and `distinct_property`: feasibility that depends on where the job's other
 * allocations already are, so it is checked per placement against counts the pass keeps current.
 * A constraint at job level counts every group's allocations, one at group or task level only its
 * own group's, as in Nomad. Counts are kept per property value (node table columns), so a check is
 * two array reads.
 */

interface PropertyRule {
  /** Filter reason, built once: violations are frequent and a fresh string each time showed up in profiles. */
  reason: string;
  limit: number;
  valueOf: Int32Array;
  counts: Int32Array;
}

function ruleLimit(c: Constraint): number {
  const n = c.value.trim() === '' ? 1 : Number(c.value);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

/** Checks and tracks the distinct_* constraints of one task group during one pass. */
export class DistinctChecker {
  private readonly hostsCounts: Int32Array | null;
  private readonly rules: PropertyRule[] = [];

  constructor(ctx: PassContext, job: Job, group: TaskGroup) {
    const groupLevel = [...group.constraints, ...group.tasks.flatMap((t) => t.constraints)];
    const hostsJob = job.constraints.some((c) => c.operator === 'distinct_hosts' && c.value !== 'false');
    const hostsGroup = groupLevel.some((c) => c.operator === 'distinct_hosts' && c.value !== 'false');
    this.hostsCounts = hostsJob ? ctx.jobCount : hostsGroup ? ctx.groupCount(group.name) : null;
    const scoped: [Constraint, string | null][] = [
      ...job.constraints.map((c): [Constraint, string | null] => [c, null]),
      ...groupLevel.map((c): [Constraint, string | null] => [c, group.name]),
    ];
    for (const [c, scope] of scoped) {
      if (c.operator !== 'distinct_property') continue;
      const col = ctx.table.column(c.attribute);
      const counts = new Int32Array(col.values.length);
      for (let k = 0; k < ctx.proposedCount; k++) {
        if (scope !== null && ctx.proposedGroup[k] !== scope) continue;
        const v = col.valueOf[ctx.proposedNode[k]!]!;
        if (v >= 0) counts[v] = counts[v]! + 1;
      }
      this.rules.push({ reason: `distinct_property ${c.attribute}`, limit: ruleLimit(c), valueOf: col.valueOf, counts });
    }
  }

  /** Number of violation codes: {@link violation} returns values below this. */
  get codes(): number {
    return 2 + this.rules.length;
  }

  /**
   * Whether node `i` would violate a distinct_* constraint: 0 when not, else a code whose
   * {@link reason} names the first constraint violated. A number, so the candidate walk counts
   * violations per reason in a typed array instead of building a map per placement.
   */
  violation(i: number): number {
    if (this.hostsCounts !== null && this.hostsCounts[i]! > 0) return 1;
    const rules = this.rules;
    for (let k = 0; k < rules.length; k++) {
      const r = rules[k]!;
      const v = r.valueOf[i]!;
      if (v < 0 || r.counts[v]! >= r.limit) return 2 + k;
    }
    return 0;
  }

  /** The filter reason of a violation code (as shown in `constraintFiltered`). */
  reason(code: number): string {
    return code === 1 ? 'distinct_hosts' : this.rules[code - 2]!.reason;
  }

  /** Records a placement on node `i` (host counts are kept by the pass context). */
  commit(i: number): void {
    for (const r of this.rules) {
      const v = r.valueOf[i]!;
      if (v >= 0) r.counts[v] = r.counts[v]! + 1;
    }
  }
}
