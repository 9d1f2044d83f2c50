import type { Constraint, Job, Node, TaskGroup } from '../structs/index.js';
import { resolveTarget } from '../structs/index.js';
import type { Column, NodeTable } from './node-table.js';
import { checkOperator } from './operators.js';

/**
 * Node-local feasibility: everything that depends only on the node and the task group, so it is
 * evaluated once per node per group and pass (never per placement). Placement-dependent checks
 * (resources, distinct_hosts, distinct_property) live in `distinct.ts` and `select.ts`.
 */

/** The node-local requirements of one task group, gathered from job, group and tasks. */
export interface GroupRequirements {
  datacenterPatterns: readonly string[];
  datacenters: (dc: string) => boolean;
  drivers: string[];
  /** Job, group and task constraints, without the distinct_* ones. */
  constraints: Constraint[];
  /** Node volume names every allocation of the group needs. */
  hostVolumes: string[];
  /**
   * Sources of `per_alloc` volume requests: allocation index N needs `source[N]`, so these are
   * checked per placement (`GroupStack.select`), never in the per-node pass. Empty for most jobs.
   */
  perAllocVolumes: string[];
}

function datacenterMatcher(patterns: readonly string[]): (dc: string) => boolean {
  if (patterns.includes('*')) return () => true;
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const globs = patterns
    .filter((p) => p.includes('*'))
    .map((p) => new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  return (dc) => exact.has(dc) || globs.some((g) => g.test(dc));
}

/** Collects what a node must offer to run `group` of `job`. */
export function groupRequirements(job: Job, group: TaskGroup): GroupRequirements {
  const all = [...job.constraints, ...group.constraints, ...group.tasks.flatMap((t) => t.constraints)];
  return {
    datacenterPatterns: job.datacenters,
    datacenters: datacenterMatcher(job.datacenters),
    drivers: [...new Set(group.tasks.map((t) => t.driver))],
    constraints: all.filter((c) => c.operator !== 'distinct_hosts' && c.operator !== 'distinct_property'),
    hostVolumes: [...new Set(Object.values(group.volumes).flatMap((v) => (v.perAlloc === true ? [] : [v.source])))],
    perAllocVolumes: [...new Set(Object.values(group.volumes).flatMap((v) => (v.perAlloc === true ? [v.source] : [])))],
  };
}

/** True when the node may receive new allocations at all (status, eligibility, drain). */
export function nodeSchedulable(node: Node): boolean {
  return node.status === 'ready' && node.schedulingEligibility === 'eligible' && node.drain === null;
}

/**
 * Why `node` cannot run the group, or `undefined` when it can (resources aside). The reason string
 * is what `alloc status` shows in its metrics (`constraintFiltered`).
 */
export function infeasibleReason(node: Node, req: GroupRequirements): string | undefined {
  if (!nodeSchedulable(node)) return 'node not ready, ineligible or draining';
  return requirementsReason(node, req);
}

/**
 * Like {@link infeasibleReason} without the status check: can an allocation already there stay
 * (in-place update)? `index` is the allocation's index, for `per_alloc` volumes (-1: not checked).
 */
export function requirementsReason(node: Node, req: GroupRequirements, index = -1): string | undefined {
  if (!req.datacenters(node.datacenter)) return 'datacenter not in job datacenters';
  for (const driver of req.drivers) {
    const info = node.drivers[driver];
    if (!info || !info.detected || !info.healthy) return `missing driver ${driver}`;
  }
  for (const c of req.constraints) {
    if (!checkOperator(c.operator, resolveTarget(c.attribute, node), c.value)) {
      return `constraint ${c.attribute} ${c.operator} ${c.value}`.trimEnd();
    }
  }
  for (const volume of req.hostVolumes) {
    if (!node.hostVolumes[volume]) return `missing host volume ${volume}`;
  }
  if (index >= 0) {
    for (const source of req.perAllocVolumes) {
      const name = `${source}[${index}]`;
      if (!node.hostVolumes[name]) return `missing host volume ${name}`;
    }
  }
  return undefined;
}

/**
 * Evaluates the requirements over every node of a table, each constraint once per distinct value.
 * Writes the indices of feasible nodes into `out` and returns how many there are; counts the
 * reasons of the others into `filtered`.
 */
export function feasibleNodes(table: NodeTable, req: GroupRequirements, out: Int32Array, filtered: Record<string, number>): number {
  const checks: { col: Column; truth: Uint8Array; reason: string }[] = [];
  const dcCol = table.column('${node.datacenter}');
  checks.push({ col: dcCol, truth: table.truthTable(dcCol, (v) => v !== undefined && req.datacenters(v)), reason: 'datacenter not in job datacenters' });
  for (const c of req.constraints) {
    const col = table.column(c.attribute);
    const reason = `constraint ${c.attribute} ${c.operator} ${c.value}`.trimEnd();
    checks.push({ col, truth: table.truthTable(col, (v) => checkOperator(c.operator, v, c.value)), reason });
  }
  const drivers = req.drivers.map((d) => table.driverOk(d));
  const volumes = req.hostVolumes.map((v) => table.volumeOk(v));
  let count = 0;
  nodes: for (let i = 0; i < table.nodes.length; i++) {
    let reason: string | undefined;
    if (table.schedulable[i] !== 1) reason = 'node not ready, ineligible or draining';
    else {
      for (const check of checks) {
        const v = check.col.valueOf[i]!;
        if (check.truth[v < 0 ? check.col.values.length : v] !== 1) {
          reason = check.reason;
          break;
        }
      }
    }
    if (reason === undefined) {
      for (let d = 0; d < drivers.length; d++) {
        if (drivers[d]![i] !== 1) {
          reason = `missing driver ${req.drivers[d]}`;
          break;
        }
      }
    }
    if (reason === undefined) {
      for (let v = 0; v < volumes.length; v++) {
        if (volumes[v]![i] !== 1) {
          reason = `missing host volume ${req.hostVolumes[v]}`;
          break;
        }
      }
    }
    if (reason !== undefined) {
      filtered[reason] = (filtered[reason] ?? 0) + 1;
      continue nodes;
    }
    out[count++] = i;
  }
  return count;
}

/** Feasible nodes per datacenter (`nodesAvailable` in the metrics): the first `count` of `feasible`. */
export function countByDatacenter(table: NodeTable, feasible: Int32Array, count: number): Record<string, number> {
  const dc = table.column('${node.datacenter}');
  const perDc = new Int32Array(dc.values.length);
  for (let k = 0; k < count; k++) perDc[dc.valueOf[feasible[k]!]!]!++;
  const byName: Record<string, number> = {};
  perDc.forEach((c, id) => {
    if (c > 0) byName[dc.values[id]!] = c;
  });
  return byName;
}
