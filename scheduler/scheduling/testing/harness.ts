import type { AllocatedResources, Allocation, Evaluation, EvalTrigger, Job, Node, Plan } from '../../structs/index.js';
import { isTerminal } from '../../structs/index.js';
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
  private readonly byNode = new Map<string, Allocation[]>();
  private readonly usage = new Map<string, AllocatedResources>();
  /** Usage aligned with `nodeList`, rebuilt with it. */
  private usageArr: Float64Array | null = null;
  private nodePos = new Map<string, number>();
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

  /** Inserts or replaces allocations, keeping the per-job, per-node and usage indexes current. */
  upsertAllocs(allocs: readonly Allocation[], knownNew = false): void {
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
      const old = knownNew ? undefined : j.find((x) => x.id === a.id);
      if (old) this.account(old, -1);
      this.account(a, 1);
      let n = this.byNode.get(a.nodeId);
      if (!n) this.byNode.set(a.nodeId, (n = []));
      if (old) {
        j[j.indexOf(old)] = a;
        n[n.indexOf(old)] = a;
      } else {
        j.push(a);
        n.push(a);
      }
    }
  }

  private account(a: Allocation, sign: 1 | -1): void {
    if (isTerminal(a)) return;
    let u = this.usage.get(a.nodeId);
    if (!u) this.usage.set(a.nodeId, (u = { cpuMhz: 0, memoryMb: 0, diskMb: 0 }));
    u.cpuMhz += sign * a.resources.cpuMhz;
    u.memoryMb += sign * a.resources.memoryMb;
    u.diskMb += sign * a.resources.diskMb;
    const i = this.usageArr ? this.nodePos.get(a.nodeId) : undefined;
    if (i !== undefined && this.usageArr) {
      this.usageArr[i * 3] = u.cpuMhz;
      this.usageArr[i * 3 + 1] = u.memoryMb;
      this.usageArr[i * 3 + 2] = u.diskMb;
    }
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
    for (const list of Object.values(plan.nodeAllocation)) this.upsertAllocs(list, true);
    this.upsertAllocs(plan.attributeUpdates);
    this.evals.push(...plan.followupEvals);
  }

  /** Builds an evaluation for a job. */
  evalFor(job: Job, triggeredBy: EvalTrigger = 'job-register', nowMs = 0): Evaluation {
    return {
      id: `eval-${++this.evalCounter}`,
      namespace: job.namespace,
      jobId: job.id,
      priority: job.priority,
      type: job.type,
      triggeredBy,
      status: 'pending',
      statusDescription: '',
      nodeId: '',
      waitUntilMs: 0,
      previousEval: '',
      nextEval: '',
      blockedEval: '',
      failedTgAllocs: {},
      queuedAllocations: {},
      createTimeMs: nowMs,
      modifyTimeMs: nowMs,
    };
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
      this.nodeList = [...this.nodeMap.values()];
      this.nodePos = new Map(this.nodeList.map((n, i) => [n.id, i]));
      this.usageArr = new Float64Array(this.nodeList.length * 3);
      this.nodeList.forEach((n, i) => {
        const u = this.usage.get(n.id);
        if (u) this.usageArr!.set([u.cpuMhz, u.memoryMb, u.diskMb], i * 3);
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
    return this.byNode.get(nodeId)?.slice() ?? [];
  }
  nodeUsage(nodeId: string): AllocatedResources {
    return this.usage.get(nodeId) ?? NO_USAGE;
  }
}

const NO_USAGE: AllocatedResources = Object.freeze({ cpuMhz: 0, memoryMb: 0, diskMb: 0 });

/** All allocations a plan places, flattened. */
export function placedAllocs(plan: Plan): Allocation[] {
  return Object.values(plan.nodeAllocation).flat();
}
