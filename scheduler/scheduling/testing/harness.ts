import type { AllocatedResources, Allocation, Evaluation, EvalTrigger, Job, Node, Plan } from '../../structs/index.js';
import { isTerminal, newEvaluation } from '../../structs/index.js';
import { schedule } from '../scheduler.js';
import type { ScheduleOptions, StateSnapshot } from '../state.js';

/**
 * An in-memory cluster state for exercising the pure core without a server, as Nomad's Harness:
 * it implements {@link StateSnapshot}, runs `schedule` for an evaluation, records every plan, and
 * (by default) applies it the way the server's plan applier does. Used by the unit tests and the
 * placement benchmark.
 */
export class Harness implements StateSnapshot {
  private readonly nodeMap = new Map<string, Node>();
  private nodeList: Node[] | null = null;
  private readonly jobVersions = new Map<string, Job[]>();
  // Arrays rather than maps: a million inserts into per-node maps dominated the benchmark; updates
  // of an existing allocation find it with indexOf, which is cheap at a few hundred per node.
  private readonly byJob = new Map<string, Allocation[]>();
  /** Per node: its allocations, the resources its non-terminal ones hold, its index in `nodeList`. */
  private readonly byNode = new Map<string, NodeEntry>();
  /** Usage aligned with `nodeList` (three numbers per node), rebuilt with it. */
  private usageArr: Float64Array | null = null;
  /** Every plan produced, in order. */
  readonly plans: Plan[] = [];
  /** Evaluations created by plans (follow-ups). */
  readonly evals: Evaluation[] = [];
  private evalCounter = 0;

  /** `recordPlans: false` keeps memory flat in benchmarks that place a million allocations. */
  constructor(private readonly options: { recordPlans?: boolean } = {}) {}

  upsertNode(node: Node): void {
    this.nodeMap.set(node.id, node);
    this.nodeList = null;
    this.usageArr = null;
  }

  /** Stores a job version (`job.version` as given); the latest version is the highest. */
  upsertJob(job: Job): void {
    const key = `${job.namespace}/${job.id}`;
    const versions = (this.jobVersions.get(key) ?? []).filter((j) => j.version !== job.version);
    versions.push(job);
    versions.sort((a, b) => a.version - b.version);
    this.jobVersions.set(key, versions);
  }

  private entry(nodeId: string): NodeEntry {
    let e = this.byNode.get(nodeId);
    if (!e) this.byNode.set(nodeId, (e = { allocs: [], usage: { cpuMhz: 0, memoryMb: 0, diskMb: 0 }, pos: -1 }));
    return e;
  }

  /** Inserts or replaces allocations, keeping the per-job, per-node and usage indexes current. */
  upsertAllocs(allocs: readonly Allocation[]): void {
    let lastJob = '';
    let lastNs = '';
    let jobKey = '';
    for (const a of allocs) {
      if (a.jobId !== lastJob || a.namespace !== lastNs) {
        lastJob = a.jobId;
        lastNs = a.namespace;
        jobKey = `${a.namespace}/${a.jobId}`;
      }
      let j = this.byJob.get(jobKey);
      if (!j) this.byJob.set(jobKey, (j = []));
      // No global id index: a job's allocations are few enough to scan, and a million-entry map
      // would dominate the benchmark with work the scheduler does not do.
      const old = j.find((x) => x.id === a.id);
      if (old) {
        const before = this.entry(old.nodeId);
        this.account(before, old, -1);
        j[j.indexOf(old)] = a;
        if (old.nodeId === a.nodeId) before.allocs[before.allocs.indexOf(old)] = a;
        else {
          before.allocs.splice(before.allocs.indexOf(old), 1);
          this.entry(a.nodeId).allocs.push(a);
        }
      } else {
        j.push(a);
        this.entry(a.nodeId).allocs.push(a);
      }
      this.account(this.entry(a.nodeId), a, 1);
    }
  }

  /**
   * Adds new allocations of one job on one node (a plan's `nodeAllocation` entry): one lookup per
   * node instead of several per allocation, which is most of what applying a plan costs.
   */
  private insertNew(jobAllocs: Allocation[], nodeId: string, allocs: readonly Allocation[]): void {
    const e = this.entry(nodeId);
    for (const a of allocs) {
      jobAllocs.push(a);
      e.allocs.push(a);
      if (isTerminal(a)) continue;
      e.usage.cpuMhz += a.resources.cpuMhz;
      e.usage.memoryMb += a.resources.memoryMb;
      e.usage.diskMb += a.resources.diskMb;
    }
    this.publish(e);
  }

  private account(e: NodeEntry, a: Allocation, sign: 1 | -1): void {
    if (isTerminal(a)) return;
    e.usage.cpuMhz += sign * a.resources.cpuMhz;
    e.usage.memoryMb += sign * a.resources.memoryMb;
    e.usage.diskMb += sign * a.resources.diskMb;
    this.publish(e);
  }

  /** Copies a node's usage into `usageArr` when the node is in the current list. */
  private publish(e: NodeEntry): void {
    if (e.pos < 0 || !this.usageArr) return;
    this.usageArr[e.pos * 3] = e.usage.cpuMhz;
    this.usageArr[e.pos * 3 + 1] = e.usage.memoryMb;
    this.usageArr[e.pos * 3 + 2] = e.usage.diskMb;
  }

  alloc(id: string): Allocation | undefined {
    for (const list of this.byJob.values()) {
      const found = list.find((a) => a.id === id);
      if (found) return found;
    }
    return undefined;
  }

  /** Applies a plan as the server would (no capacity re-check: the core already did it). */
  applyPlan(plan: Plan): void {
    for (const list of Object.values(plan.nodeUpdate)) this.upsertAllocs(list);
    for (const list of Object.values(plan.nodeInPlaceUpdate)) this.upsertAllocs(list);
    const jobKey = `${plan.namespace}/${plan.jobId}`;
    let jobAllocs = this.byJob.get(jobKey);
    if (!jobAllocs) this.byJob.set(jobKey, (jobAllocs = []));
    for (const nodeId in plan.nodeAllocation) this.insertNew(jobAllocs, nodeId, plan.nodeAllocation[nodeId]!);
    this.upsertAllocs(plan.attributeUpdates);
    this.evals.push(...plan.followupEvals);
  }

  /** Builds an evaluation for a job. */
  evalFor(job: Job, triggeredBy: EvalTrigger = 'job-register', nowMs = 0): Evaluation {
    return newEvaluation(`eval-${++this.evalCounter}`, job, triggeredBy, nowMs);
  }

  /** Runs the scheduler for `evaluation`, records the plan, applies it unless `apply` is false. */
  process(evaluation: Evaluation, options: ScheduleOptions, apply = true): Plan {
    const plan = schedule(this, evaluation, options);
    if (this.options.recordPlans !== false) this.plans.push(plan);
    if (apply) this.applyPlan(plan);
    return plan;
  }

  // StateSnapshot
  job(namespace: string, jobId: string): Job | undefined {
    const v = this.jobVersions.get(`${namespace}/${jobId}`);
    return v?.[v.length - 1];
  }
  jobVersion(namespace: string, jobId: string, version: number): Job | undefined {
    return this.jobVersions.get(`${namespace}/${jobId}`)?.find((j) => j.version === version);
  }
  nodes(): readonly Node[] {
    if (!this.nodeList) {
      for (const e of this.byNode.values()) e.pos = -1;
      this.nodeList = [...this.nodeMap.values()];
      this.usageArr = new Float64Array(this.nodeList.length * 3);
      this.nodeList.forEach((n, i) => {
        const e = this.entry(n.id);
        e.pos = i;
        this.publish(e);
      });
    }
    return this.nodeList;
  }
  nodeUsageArray(): Float64Array {
    this.nodes();
    return this.usageArr!;
  }
  node(nodeId: string): Node | undefined {
    return this.nodeMap.get(nodeId);
  }
  allocsByJob(namespace: string, jobId: string): readonly Allocation[] {
    return this.byJob.get(`${namespace}/${jobId}`)?.slice() ?? [];
  }
  allocsByNode(nodeId: string): readonly Allocation[] {
    return this.byNode.get(nodeId)?.allocs.slice() ?? [];
  }
  nodeUsage(nodeId: string): AllocatedResources {
    return this.byNode.get(nodeId)?.usage ?? NO_USAGE;
  }
}

interface NodeEntry {
  allocs: Allocation[];
  usage: AllocatedResources;
  /** Index in the current node list, -1 when not in it. */
  pos: number;
}

const NO_USAGE: AllocatedResources = Object.freeze({ cpuMhz: 0, memoryMb: 0, diskMb: 0 });

/** All allocations a plan places, flattened. */
export function placedAllocs(plan: Plan): Allocation[] {
  return Object.values(plan.nodeAllocation).flat();
}
