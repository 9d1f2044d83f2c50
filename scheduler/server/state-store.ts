import { EventEmitter } from 'node:events';
import type { StateSnapshot } from '../scheduling/state.js';
import type { AllocatedResources, Allocation, Evaluation, Job, Node } from '../structs/index.js';
import { isTerminal } from '../structs/index.js';
import { DurableLog } from './durable-log.js';

/**
 * The server's state: jobs (every version), nodes with their secrets, allocations and
 * evaluations. Every change is one {@link StateOp} applied through {@link StateStore.apply}, which
 * first makes it durable (fsynced log line) and then changes memory: the same function replays
 * the log at start-up, so memory after a restart equals memory before the crash for everything
 * that was acknowledged. Heartbeat times are not state (they are reset at start-up, as Nomad does).
 *
 * Reads return the stored objects; callers must treat them as immutable and write through ops.
 */

/** One atomic change. Upserts replace whole objects by id. */
export interface StateOp {
  jobs?: Job[];
  nodes?: Node[];
  nodeSecrets?: Record<string, string>;
  allocs?: Allocation[];
  evals?: Evaluation[];
  /** Allocations garbage-collected (server/gc.ts); applied after the upserts of the same op. */
  deleteAllocs?: string[];
  /** Evaluations garbage-collected. */
  deleteEvals?: string[];
}

interface Persisted {
  jobs: Job[];
  nodes: Node[];
  nodeSecrets: Record<string, string>;
  allocs: Allocation[];
  evals: Evaluation[];
  index: number;
}

/** Compact the log into a snapshot after this many operations. */
const COMPACT_AFTER_OPS = 2_000;

const jobKey = (namespace: string, id: string) => `${namespace}/${id}`;

function indexOf<V>(table: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let inner = table.get(key);
  if (!inner) table.set(key, (inner = new Map()));
  return inner;
}

/** In-memory tables plus the durable log underneath them. */
export class StateStore extends EventEmitter {
  private readonly jobVersions = new Map<string, Job[]>();
  private readonly nodeTable = new Map<string, Node>();
  private readonly secrets = new Map<string, string>();
  private readonly allocTable = new Map<string, Allocation>();
  private readonly evalTable = new Map<string, Evaluation>();
  /** The node list handed out until a node changes (the core caches per-node data by its identity). */
  private nodeList: Node[] | undefined;
  private readonly byNode = new Map<string, Map<string, Allocation>>();
  private readonly byJob = new Map<string, Map<string, Allocation>>();
  /** Resources held per node by its non-terminal allocations, kept current by every alloc change. */
  private readonly usage = new Map<string, AllocatedResources>();
  /** `usage` in the order of `nodeList`, built on demand and dropped by any node or alloc change. */
  private usageArray: Float64Array | undefined;
  /** Last index at which an allocation of a node changed: agents long-poll on it. */
  private readonly nodeAllocIndex = new Map<string, number>();
  /** Raised by every applied op. */
  index = 0;
  private readonly log: DurableLog<Persisted, StateOp>;

  constructor(dataDir: string) {
    super();
    this.setMaxListeners(0);
    this.log = new DurableLog<Persisted, StateOp>(dataDir);
  }

  /** Loads snapshot and log from disk; call once before anything else. */
  restore(): { ops: number } {
    const { snapshot, ops } = this.log.load();
    if (snapshot) {
      this.mutate({ ...snapshot });
      this.index = snapshot.index;
    }
    for (const op of ops) this.mutate(op);
    return { ops: ops.length };
  }

  /** Makes `op` durable, then visible; emits `change` with the op. */
  apply(op: StateOp): void {
    this.log.append(op);
    this.mutate(op);
    if (this.log.pending >= COMPACT_AFTER_OPS) this.log.compact(this.persisted());
    this.emit('change', op);
  }

  private mutate(op: StateOp): void {
    this.index += 1;
    for (const job of op.jobs ?? []) {
      const key = jobKey(job.namespace, job.id);
      const versions = this.jobVersions.get(key) ?? [];
      const at = versions.findIndex((v) => v.version === job.version);
      if (at >= 0) versions[at] = job;
      else versions.push(job);
      versions.sort((a, b) => a.version - b.version);
      this.jobVersions.set(key, versions);
    }
    for (const node of op.nodes ?? []) this.nodeTable.set(node.id, node);
    if ((op.nodes ?? []).length > 0) this.nodeList = undefined;
    for (const [nodeId, secret] of Object.entries(op.nodeSecrets ?? {})) this.secrets.set(nodeId, secret);
    if ((op.allocs ?? []).length > 0 || (op.nodes ?? []).length > 0) this.usageArray = undefined;
    for (const alloc of op.allocs ?? []) {
      const before = this.allocTable.get(alloc.id);
      if (before) this.account(before, -1);
      this.account(alloc, 1);
      this.allocTable.set(alloc.id, alloc);
      if (before) indexOf(this.byNode, before.nodeId).delete(alloc.id);
      indexOf(this.byNode, alloc.nodeId).set(alloc.id, alloc);
      indexOf(this.byJob, jobKey(alloc.namespace, alloc.jobId)).set(alloc.id, alloc);
      this.nodeAllocIndex.set(alloc.nodeId, this.index);
      if (before && before.nodeId !== alloc.nodeId) this.nodeAllocIndex.set(before.nodeId, this.index);
    }
    for (const evaluation of op.evals ?? []) this.evalTable.set(evaluation.id, evaluation);
    for (const id of op.deleteAllocs ?? []) {
      const alloc = this.allocTable.get(id);
      if (!alloc) continue;
      this.account(alloc, -1);
      this.allocTable.delete(id);
      this.byNode.get(alloc.nodeId)?.delete(id);
      this.byJob.get(jobKey(alloc.namespace, alloc.jobId))?.delete(id);
      // the node's long-poll wakes up: its agent learns the allocation is gone (agent GC)
      this.nodeAllocIndex.set(alloc.nodeId, this.index);
      this.usageArray = undefined;
    }
    for (const id of op.deleteEvals ?? []) this.evalTable.delete(id);
  }

  private account(alloc: Allocation, sign: 1 | -1): void {
    if (isTerminal(alloc)) return;
    let used = this.usage.get(alloc.nodeId);
    if (!used) this.usage.set(alloc.nodeId, (used = { cpuMhz: 0, memoryMb: 0, diskMb: 0 }));
    used.cpuMhz += sign * alloc.resources.cpuMhz;
    used.memoryMb += sign * alloc.resources.memoryMb;
    used.diskMb += sign * alloc.resources.diskMb;
  }

  private persisted(): Persisted {
    return {
      jobs: [...this.jobVersions.values()].flat(),
      nodes: [...this.nodeTable.values()],
      nodeSecrets: Object.fromEntries(this.secrets),
      allocs: [...this.allocTable.values()],
      evals: [...this.evalTable.values()],
      index: this.index,
    };
  }

  /** Writes a snapshot now (shutdown, tests). */
  compact(): void {
    this.log.compact(this.persisted());
  }

  close(): void {
    this.log.close();
  }

  job(namespace: string, id: string): Job | undefined {
    return this.jobVersions.get(jobKey(namespace, id))?.at(-1);
  }

  jobVersion(namespace: string, id: string, version: number): Job | undefined {
    return this.jobVersions.get(jobKey(namespace, id))?.find((v) => v.version === version);
  }

  /** Every version of a job, oldest first. */
  versions(namespace: string, id: string): readonly Job[] {
    return this.jobVersions.get(jobKey(namespace, id)) ?? [];
  }

  /** Latest version of every job. */
  jobs(): Job[] {
    return [...this.jobVersions.values()].map((versions) => versions.at(-1) as Job);
  }

  /** Every node; the same array instance until a node changes. Do not mutate it. */
  nodes(): Node[] {
    this.nodeList ??= [...this.nodeTable.values()];
    return this.nodeList;
  }

  /** Resources held on a node by its non-terminal allocations (a copy; O(1), kept by {@link apply}). */
  nodeUsage(nodeId: string): AllocatedResources {
    const used = this.usage.get(nodeId);
    return used ? { ...used } : { cpuMhz: 0, memoryMb: 0, diskMb: 0 };
  }

  /**
   * The same for every node, three numbers per node (cpu MHz, memory MB, disk MB) in the order of
   * {@link nodes}. Built once per change of nodes or allocations and never modified afterwards, so
   * a scheduling pass reads one array instead of a map lookup per node.
   */
  nodeUsageArray(): Float64Array {
    if (this.usageArray) return this.usageArray;
    const nodes = this.nodes();
    const out = new Float64Array(nodes.length * 3);
    nodes.forEach((node, i) => {
      const used = this.usage.get(node.id);
      if (!used) return;
      out[i * 3] = used.cpuMhz;
      out[i * 3 + 1] = used.memoryMb;
      out[i * 3 + 2] = used.diskMb;
    });
    this.usageArray = out;
    return out;
  }

  node(id: string): Node | undefined {
    return this.nodeTable.get(id);
  }

  nodeSecret(nodeId: string): string | undefined {
    return this.secrets.get(nodeId);
  }

  /** The node whose secret is `secret`. Linear, but only over nodes; fine at this scale. */
  nodeBySecret(secret: string): string | undefined {
    for (const [nodeId, value] of this.secrets) if (value === secret) return nodeId;
    return undefined;
  }

  allocs(): Allocation[] {
    return [...this.allocTable.values()];
  }

  alloc(id: string): Allocation | undefined {
    return this.allocTable.get(id);
  }

  allocsByJob(namespace: string, jobId: string): Allocation[] {
    return [...(this.byJob.get(jobKey(namespace, jobId))?.values() ?? [])];
  }

  allocsByNode(nodeId: string): Allocation[] {
    return [...(this.byNode.get(nodeId)?.values() ?? [])];
  }

  /** Index of the last change to an allocation on `nodeId` (0 when none). */
  allocIndexOfNode(nodeId: string): number {
    return this.nodeAllocIndex.get(nodeId) ?? 0;
  }

  evals(): Evaluation[] {
    return [...this.evalTable.values()];
  }

  evaluation(id: string): Evaluation | undefined {
    return this.evalTable.get(id);
  }

  /** A read-only view for one scheduling pass (passes are synchronous, so memory cannot change under it). */
  snapshot(): StateSnapshot {
    return {
      job: (ns, id) => this.job(ns, id),
      jobVersion: (ns, id, v) => this.jobVersion(ns, id, v),
      nodes: () => this.nodes(),
      node: (id) => this.node(id),
      allocsByJob: (ns, id) => this.allocsByJob(ns, id),
      allocsByNode: (id) => this.allocsByNode(id),
      nodeUsage: (id) => this.nodeUsage(id),
      nodeUsageArray: () => this.nodeUsageArray(),
    };
  }
}
