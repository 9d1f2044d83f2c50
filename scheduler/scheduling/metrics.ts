import type { AllocMetrics } from '../structs/index.js';
import type { SchedulerAlgorithm } from './state.js';

/**
 * Compact storage for the metrics of successful placements. Nomad keeps an AllocMetric per
 * allocation (counts plus the chosen node's score breakdown), and so do we, but a million
 * placements that each allocate a metrics object, a score list, a score entry, a map of score parts
 * and a boxed number per part spent a third of their time in the garbage collector. Here a
 * placement's metrics are one object holding two references; its counts and score breakdown live
 * in a per-stack {@link ScoreLog} (typed arrays), and the maps are shared, materialised on read
 * (getters, `toJSON`).
 */

/** Score part names in log order (slot 1 is the fit: `binpack` or `spread`). */
const PARTS = ['job-anti-affinity', 'node-reschedule-penalty', 'node-affinity', 'allocation-spread', 'locality'] as const;

/** Numbers per entry: normalised score, fit, then one slot per {@link PARTS} entry (NaN = did not apply). */
export const SCORE_SLOTS = 2 + PARTS.length;

/** Score breakdowns of one stack's placements, appended in order. */
export class ScoreLog {
  values: Float64Array;
  /** Per entry: nodes evaluated, filtered, exhausted, and the index of its `dimensionExhausted` map. */
  counts: Int32Array;
  /** Node id per entry; the first {@link size} entries are set. */
  readonly nodeIds: string[];
  /** Entries appended so far. */
  size = 0;
  /** The distinct `dimensionExhausted` maps of the entries. */
  readonly dimensionMaps: Record<string, number>[] = [];
  private readonly dimensionIndex = new Map<Record<string, number>, number>();

  constructor(
    readonly algorithm: SchedulerAlgorithm,
    expected: number,
    /** Shared by every entry: feasible nodes per datacenter, and filter reasons before the walk. */
    readonly nodesAvailable: Record<string, number>,
    readonly constraintFiltered: Record<string, number>,
  ) {
    this.values = new Float64Array(Math.max(expected, 1) * SCORE_SLOTS);
    this.counts = new Int32Array(Math.max(expected, 1) * 4);
    // sized up front like the typed arrays: grown by push, it was reallocated a dozen times per pass
    this.nodeIds = new Array<string>(Math.max(expected, 1));
  }

  /** Reserves the next entry (all score parts NaN), records its counts, and returns its offset into `values`. */
  append(nodeId: string, evaluated: number, filtered: number, exhausted: number, dims: Record<string, number>): number {
    const n = this.size;
    const at = n * SCORE_SLOTS;
    if (at + SCORE_SLOTS > this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
      const counts = new Int32Array(this.counts.length * 2);
      counts.set(this.counts);
      this.counts = counts;
    }
    this.values.fill(NaN, at, at + SCORE_SLOTS);
    let d = this.dimensionIndex.get(dims);
    if (d === undefined) {
      d = this.dimensionMaps.push(dims) - 1;
      this.dimensionIndex.set(dims, d);
    }
    const c = n * 4;
    this.counts[c] = evaluated;
    this.counts[c + 1] = filtered;
    this.counts[c + 2] = exhausted;
    this.counts[c + 3] = d;
    this.nodeIds[n] = nodeId;
    this.size = n + 1;
    return at;
  }

  /** The entry at `at` as Nomad's score metadata (parts that did not apply are left out). */
  entry(at: number): AllocMetrics['scoreMetaData'][number] {
    const v = this.values;
    const scores: Record<string, number> = { [this.algorithm]: v[at + 1]! };
    for (let k = 0; k < PARTS.length; k++) {
      const s = v[at + 2 + k]!;
      if (!Number.isNaN(s)) scores[PARTS[k]!] = s;
    }
    return { nodeId: this.nodeIds[at / SCORE_SLOTS]!, normScore: v[at]!, scores };
  }
}

/** Slot offsets of the parts, for writers. */
export const SLOT = { norm: 0, fit: 1, antiAffinity: 2, penalty: 3, affinity: 4, spread: 5, locality: 6 } as const;

/**
 * {@link AllocMetrics} of a successful placement: two references (its log and its entry), every
 * field read from the log. The maps are shared by the placements of the pass (treat them as
 * read-only); `scoreMetaData` is built on each read.
 */
export class PlacementMetrics implements AllocMetrics {
  readonly #log: ScoreLog;
  readonly #at: number;

  constructor(log: ScoreLog, at: number) {
    this.#log = log;
    this.#at = at;
  }

  get nodesEvaluated(): number {
    return this.#log.counts[(this.#at / SCORE_SLOTS) * 4]!;
  }
  get nodesFiltered(): number {
    return this.#log.counts[(this.#at / SCORE_SLOTS) * 4 + 1]!;
  }
  get nodesExhausted(): number {
    return this.#log.counts[(this.#at / SCORE_SLOTS) * 4 + 2]!;
  }
  get nodesAvailable(): Record<string, number> {
    return this.#log.nodesAvailable;
  }
  get constraintFiltered(): Record<string, number> {
    return this.#log.constraintFiltered;
  }
  get dimensionExhausted(): Record<string, number> {
    return this.#log.dimensionMaps[this.#log.counts[(this.#at / SCORE_SLOTS) * 4 + 3]!]!;
  }
  get scoreMetaData(): AllocMetrics['scoreMetaData'] {
    return [this.#log.entry(this.#at)];
  }

  /** The plain shape, for the durable log and the API. */
  toJSON(): AllocMetrics {
    return {
      nodesEvaluated: this.nodesEvaluated,
      nodesFiltered: this.nodesFiltered,
      nodesAvailable: this.nodesAvailable,
      constraintFiltered: this.constraintFiltered,
      nodesExhausted: this.nodesExhausted,
      dimensionExhausted: this.dimensionExhausted,
      scoreMetaData: this.scoreMetaData,
    };
  }
}

/**
 * `dimensionExhausted` maps: one frozen map per distinct combination of counts, shared by the
 * placements of a stack (most placements meet a few full nodes, in a handful of combinations).
 */
export class ExhaustedMaps {
  private readonly maps = new Map<number, Record<string, number>>();

  /** `feasibleCount` bounds each count, which makes the combined key unique. */
  constructor(private readonly feasibleCount: number) {}

  get(cpu: number, mem: number, disk: number): Record<string, number> {
    const base = this.feasibleCount + 1;
    const key = cpu + mem * base + disk * base * base;
    let map = this.maps.get(key);
    if (!map) {
      const m: Record<string, number> = {};
      if (cpu > 0) m['cpu'] = cpu;
      if (mem > 0) m['memory'] = mem;
      if (disk > 0) m['disk'] = disk;
      this.maps.set(key, (map = Object.freeze(m)));
    }
    return map;
  }
}
