import type { Node } from '../structs/index.js';
import { resolveTarget } from '../structs/index.js';
import { nodeSchedulable } from './feasible.js';

/**
 * Per-node facts that do not change while the node list stays the same: index by id, capacity,
 * schedulability, and interned columns of resolved targets (`${meta.rack}` → value id per node).
 * A constraint is then evaluated once per distinct value instead of once per node, and spread and
 * distinct_property count per value id — the same idea as Nomad's computed node classes.
 *
 * Tables are cached per node array: a snapshot that returns the same array instance reuses the
 * table across passes (see `StateSnapshot.nodes`).
 */

/** One resolved target over all nodes. */
export interface Column {
  /** Value id per node index; -1 when the node lacks the attribute. */
  valueOf: Int32Array;
  /** Distinct values by id. */
  values: string[];
}

const NONE: readonly number[] = Object.freeze([]);

export class NodeTable {
  readonly index = new Map<string, number>();
  /** Capacity per node index: cpu MHz, memory MB, disk MB (fingerprinted minus reserved). */
  readonly cap: Float64Array;
  readonly schedulable: Uint8Array;
  private readonly columns = new Map<string, Column>();
  /**
   * Scratch arrays reused by consecutive passes over this table instead of allocating (and
   * zeroing, and collecting) several node-sized arrays per pass. Passes are synchronous and never
   * overlap; each pass resets only the entries the previous one touched (see `PassContext`).
   */
  readonly scratch: {
    used: Float64Array;
    stamp: Int32Array;
    epoch: number;
    jobCount: Int32Array;
    groupPool: Int32Array[];
    /**
     * The proposed allocations of the current (or last) pass, as parallel lists of node index and
     * group name; the first `proposedCount` entries are valid, the rest are left from earlier
     * passes. Reused, so a pass overwrites entries instead of growing fresh lists (a thousand
     * entries per job, reallocated as they grew, were a noticeable share of the garbage).
     */
    proposedNode: number[];
    proposedGroup: string[];
    proposedCount: number;
  };
  private readonly drivers = new Map<string, Uint8Array>();
  private readonly volumes = new Map<string, Uint8Array>();
  /** Node indices per host volume name, built on first use (only `per_alloc` groups need it). */
  private holders: Map<string, number[]> | null = null;

  constructor(readonly nodes: readonly Node[]) {
    const n = nodes.length;
    this.cap = new Float64Array(n * 3);
    this.schedulable = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const node = nodes[i]!;
      this.index.set(node.id, i);
      this.cap[i * 3] = node.resources.cpuMhz - node.reserved.cpuMhz;
      this.cap[i * 3 + 1] = node.resources.memoryMb - node.reserved.memoryMb;
      this.cap[i * 3 + 2] = node.resources.diskMb - node.reserved.diskMb;
      this.schedulable[i] = nodeSchedulable(node) ? 1 : 0;
    }
    this.scratch = { used: new Float64Array(n * 3), stamp: new Int32Array(n), epoch: 0, jobCount: new Int32Array(n), groupPool: [], proposedNode: [], proposedGroup: [], proposedCount: 0 };
  }

  /** The interned column of `target` (computed on first use, then cached with the table). */
  column(target: string): Column {
    let col = this.columns.get(target);
    if (!col) {
      const ids = new Map<string, number>();
      const values: string[] = [];
      const valueOf = new Int32Array(this.nodes.length);
      for (let i = 0; i < this.nodes.length; i++) {
        const v = resolveTarget(target, this.nodes[i]!);
        if (v === undefined) {
          valueOf[i] = -1;
          continue;
        }
        let id = ids.get(v);
        if (id === undefined) {
          id = values.length;
          ids.set(v, id);
          values.push(v);
        }
        valueOf[i] = id;
      }
      col = { valueOf, values };
      this.columns.set(target, col);
    }
    return col;
  }

  /** 1 per node whose fingerprint has `driver` detected and healthy. */
  driverOk(driver: string): Uint8Array {
    let ok = this.drivers.get(driver);
    if (!ok) {
      ok = new Uint8Array(this.nodes.length);
      for (let i = 0; i < this.nodes.length; i++) {
        const info = this.nodes[i]!.drivers[driver];
        ok[i] = info && info.detected && info.healthy ? 1 : 0;
      }
      this.drivers.set(driver, ok);
    }
    return ok;
  }

  /** 1 per node offering a host volume named `source`. */
  volumeOk(source: string): Uint8Array {
    let ok = this.volumes.get(source);
    if (!ok) {
      ok = new Uint8Array(this.nodes.length);
      for (let i = 0; i < this.nodes.length; i++) ok[i] = this.nodes[i]!.hostVolumes[source] ? 1 : 0;
      this.volumes.set(source, ok);
    }
    return ok;
  }

  /**
   * Indices (ascending) of the nodes offering a host volume named `name`. One pass over every
   * node's volumes builds the index for all names at once, so a `per_alloc` group with a thousand
   * indices costs one scan, not a thousand.
   */
  volumeHolders(name: string): readonly number[] {
    if (this.holders === null) {
      this.holders = new Map();
      for (let i = 0; i < this.nodes.length; i++) {
        for (const volume of Object.keys(this.nodes[i]!.hostVolumes)) {
          let list = this.holders.get(volume);
          if (!list) this.holders.set(volume, (list = []));
          list.push(i);
        }
      }
    }
    return this.holders.get(name) ?? NONE;
  }

  /** For a predicate on values: a lookup by value id (index `values.length` stands for "missing"). */
  truthTable(col: Column, predicate: (value: string | undefined) => boolean): Uint8Array {
    const table = new Uint8Array(col.values.length + 1);
    for (let k = 0; k < col.values.length; k++) table[k] = predicate(col.values[k]) ? 1 : 0;
    table[col.values.length] = predicate(undefined) ? 1 : 0;
    return table;
  }
}

const cache = new WeakMap<readonly Node[], NodeTable>();

/** The table for a node array, reused while the snapshot hands out the same array. */
export function nodeTable(nodes: readonly Node[]): NodeTable {
  let table = cache.get(nodes);
  if (!table) {
    table = new NodeTable(nodes);
    cache.set(nodes, table);
  }
  return table;
}
