import type { AllocMetrics } from '../structs/index.js';
import type { SchedulerAlgorithm } from './state.js';

/**
 * Compact storage for the metrics of successful placements. Nomad keeps an AllocMetric per
 * allocation (counts plus the chosen node's score breakdown), and so do we, but a million
 * placements that each allocate a metrics object, a score list, a score entry, a map of score parts
 * and a boxed number per part spent a third of their time in the garbage collector. Here a
 * placement's metrics are one object of small integers and shared references; the score breakdown
 * lives in a per-stack {@link ScoreLog} (one typed array) and is materialised on read
 * (`scoreMetaData`, `toJSON`).
 */

/** Score part names in log order (slot 1 is the fit: `binpack` or `spread`). */
const PARTS = ['job-anti-affinity', 'node-reschedule-penalty', 'node-affinity', 'allocation-spread', 'locality'] as const;

/** Numbers per entry: normalised score, fit, then one slot per {@link PARTS} entry (NaN = did not apply). */
export const SCORE_SLOTS = 2 + PARTS.length;

/** Score breakdowns of one stack's placements, appended in order. */
export class ScoreLog {
  values: Float64Array;
  readonly nodeIds: string[] = [];

  constructor(
    readonly algorithm: SchedulerAlgorithm,
    expected: number,
  ) {
    this.values = new Float64Array(Math.max(expected, 1) * SCORE_SLOTS);
  }

  /** Reserves the next entry (all parts NaN) and returns its offset into `values`. */
  append(nodeId: string): number {
    const at = this.nodeIds.length * SCORE_SLOTS;
    if (at + SCORE_SLOTS > this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values.fill(NaN, at, at + SCORE_SLOTS);
    this.nodeIds.push(nodeId);
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
 * {@link AllocMetrics} of a successful placement. Counts are own fields; the maps are shared by
 * every placement of the pass (treat them as read-only); `scoreMetaData` is built on each read.
 */
export class PlacementMetrics implements AllocMetrics {
  readonly #log: ScoreLog;
  readonly #at: number;

  constructor(
    readonly nodesEvaluated: number,
    readonly nodesFiltered: number,
    readonly nodesAvailable: Record<string, number>,
    readonly constraintFiltered: Record<string, number>,
    readonly nodesExhausted: number,
    readonly dimensionExhausted: Record<string, number>,
    log: ScoreLog,
    at: number,
  ) {
    this.#log = log;
    this.#at = at;
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
