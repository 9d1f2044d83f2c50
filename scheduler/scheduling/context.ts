import type { AllocatedResources, Allocation, Node } from '../structs/index.js';
import { isTerminal } from '../structs/index.js';
import { nodeTable } from './node-table.js';
import type { NodeTable } from './node-table.js';
import type { StateSnapshot } from './state.js';

/**
 * Per-pass bookkeeping over node indices: capacity and usage in typed arrays (usage computed
 * lazily, only for nodes a placement actually looks at, then kept up to date as the plan grows),
 * and the job's proposed allocations (existing ones kept by the plan plus new ones) per node and
 * per group. The arrays are the node table's scratch arrays, reset lazily by the next pass.
 */
export class PassContext {
  readonly table: NodeTable;
  readonly nodes: readonly Node[];
  readonly index: Map<string, number>;
  /** Capacity per node index, three numbers each: cpu MHz, memory MB, disk MB. */
  readonly cap: Float64Array;
  /** Usage per node index in the same layout; valid once {@link exhausts} has been called for the node. */
  readonly used: Float64Array;
  /** `stamp[i] === epoch` when node `i`'s usage has been read in this pass. */
  private readonly stamp: Int32Array;
  private readonly epoch: number;
  /** Resources freed on a node by this plan's stops, applied when the node's usage is first read. */
  private readonly freed = new Map<number, AllocatedResources>();
  /** Proposed allocations of the job per node (all groups). */
  readonly jobCount: Int32Array;
  private readonly groupCounts = new Map<string, Int32Array>();
  private readonly groupPool: Int32Array[];
  private readonly usageArray: Float64Array | undefined;
  /**
   * Proposed allocations of the job, as parallel lists of node index and group name: the first
   * {@link proposedCount} entries (the lists are the node table's scratch, reused across passes).
   */
  readonly proposedNode: number[];
  readonly proposedGroup: string[];
  private readonly scratch: NodeTable['scratch'];

  constructor(private readonly state: StateSnapshot) {
    this.table = nodeTable(state.nodes());
    this.nodes = this.table.nodes;
    this.index = this.table.index;
    this.cap = this.table.cap;
    const sc = this.table.scratch;
    // Undo the previous pass's counts (only where it raised them), then claim the arrays.
    for (let k = 0; k < sc.proposedCount; k++) {
      const i = sc.proposedNode[k]!;
      sc.jobCount[i] = 0;
      for (const g of sc.groupPool) g[i] = 0;
    }
    sc.proposedCount = 0;
    this.scratch = sc;
    this.proposedNode = sc.proposedNode;
    this.proposedGroup = sc.proposedGroup;
    sc.epoch = sc.epoch === 0x7fffffff ? 1 : sc.epoch + 1;
    if (sc.epoch === 1) sc.stamp.fill(0);
    this.epoch = sc.epoch;
    this.stamp = sc.stamp;
    this.used = sc.used;
    this.jobCount = sc.jobCount;
    this.groupPool = sc.groupPool;
    const all = state.nodeUsageArray?.();
    this.usageArray = all && all.length === this.nodes.length * 3 ? all : undefined;
  }

  /** Allocations of the job per node for one group (created on first use). */
  groupCount(group: string): Int32Array {
    let counts = this.groupCounts.get(group);
    if (!counts) {
      const k = this.groupCounts.size;
      if (k === this.groupPool.length) this.groupPool.push(new Int32Array(this.nodes.length));
      counts = this.groupPool[k]!;
      this.groupCounts.set(group, counts);
    }
    return counts;
  }

  private ensureUsage(i: number): void {
    if (this.stamp[i] !== this.epoch) this.loadUsage(i);
  }

  /** Reads node `i`'s usage from the snapshot (first look at the node in this pass). */
  private loadUsage(i: number): void {
    const node = this.nodes[i]!;
    let cpu = 0;
    let mem = 0;
    let disk = 0;
    const all = this.usageArray;
    const known = all ? undefined : this.state.nodeUsage?.(node.id);
    if (all) {
      cpu = all[i * 3]!;
      mem = all[i * 3 + 1]!;
      disk = all[i * 3 + 2]!;
    } else if (known) {
      cpu = known.cpuMhz;
      mem = known.memoryMb;
      disk = known.diskMb;
    } else {
      for (const a of this.state.allocsByNode(node.id)) {
        if (isTerminal(a)) continue;
        cpu += a.resources.cpuMhz;
        mem += a.resources.memoryMb;
        disk += a.resources.diskMb;
      }
    }
    const f = this.freed.size > 0 ? this.freed.get(i) : undefined;
    if (f) {
      cpu -= f.cpuMhz;
      mem -= f.memoryMb;
      disk -= f.diskMb;
    }
    this.used[i * 3] = cpu;
    this.used[i * 3 + 1] = mem;
    this.used[i * 3 + 2] = disk;
    this.stamp[i] = this.epoch;
  }

  /** Which dimension `ask` would exhaust on node `i`: 0 fits, 1 cpu, 2 memory, 3 disk. */
  exhausts(i: number, cpu: number, mem: number, disk: number): number {
    this.ensureUsage(i);
    const o = i * 3;
    if (this.used[o]! + cpu > this.cap[o]!) return 1;
    if (this.used[o + 1]! + mem > this.cap[o + 1]!) return 2;
    if (this.used[o + 2]! + disk > this.cap[o + 2]!) return 3;
    return 0;
  }

  /** Records a new allocation of the plan on node `i`. */
  place(i: number, group: string, r: AllocatedResources): void {
    this.ensureUsage(i);
    const o = i * 3;
    this.used[o] = this.used[o]! + r.cpuMhz;
    this.used[o + 1] = this.used[o + 1]! + r.memoryMb;
    this.used[o + 2] = this.used[o + 2]! + r.diskMb;
    this.addProposed(i, group);
  }

  /** Counts an existing, kept allocation of the job as proposed. */
  addProposed(i: number, group: string): void {
    this.jobCount[i] = this.jobCount[i]! + 1;
    const g = this.groupCount(group);
    g[i] = g[i]! + 1;
    // k never exceeds the lists' length, so they stay packed: entries are overwritten or appended
    const k = this.scratch.proposedCount++;
    this.proposedNode[k] = i;
    this.proposedGroup[k] = group;
  }

  /** How many entries of {@link proposedNode} and {@link proposedGroup} belong to this pass. */
  get proposedCount(): number {
    return this.scratch.proposedCount;
  }

  /** Records that the plan stops `alloc`, freeing its resources for later placements. */
  stop(alloc: Allocation): void {
    const i = this.index.get(alloc.nodeId);
    if (i === undefined || isTerminal(alloc)) return;
    if (this.stamp[i] === this.epoch) {
      const o = i * 3;
      this.used[o] = this.used[o]! - alloc.resources.cpuMhz;
      this.used[o + 1] = this.used[o + 1]! - alloc.resources.memoryMb;
      this.used[o + 2] = this.used[o + 2]! - alloc.resources.diskMb;
    } else {
      const f = this.freed.get(i) ?? { cpuMhz: 0, memoryMb: 0, diskMb: 0 };
      f.cpuMhz += alloc.resources.cpuMhz;
      f.memoryMb += alloc.resources.memoryMb;
      f.diskMb += alloc.resources.diskMb;
      this.freed.set(i, f);
    }
  }
}
