import type { AllocMetrics, AllocatedResources, Job, TaskGroup } from '../structs/index.js';
import { SCORING, groupResources } from '../structs/index.js';
import type { PassContext } from './context.js';
import { DistinctChecker } from './distinct.js';
import { feasibleNodes, groupRequirements } from './feasible.js';
import { LOCALITY_TIERS, localityScore } from './locality.js';
import { affinityScore, antiAffinityScore, fitScore, groupAffinities } from './rank.js';
import type { Rng } from './rng.js';
import { SpreadScorer } from './spread.js';
import type { SchedulerAlgorithm } from './state.js';

/**
 * The placement stack of one task group for one pass: node-local feasibility once per node, a
 * seeded shuffle, then for each placement a walk over a limited number of candidates (continuing
 * where the previous placement stopped, as Nomad's source iterator does) that drops nodes violating
 * distinct_* or lacking resources, scores the rest and keeps the best.
 */

/** Per-placement preferences. */
export interface SelectOptions {
  /** Node indices a rescheduled allocation failed on: scored -1 (Nomad's node-reschedule-penalty). */
  penaltyNodes?: ReadonlySet<number>;
  /** Node indices tried first, e.g. the previous node of a sticky ephemeral disk (part 2 hook). */
  preferredNodes?: readonly number[];
  /** Node index whose rack and datacenter are preferred (data locality for migrations). */
  nearNode?: number;
}

/** The chosen node and the metrics explaining the choice. */
export interface Selection {
  nodeIdx: number;
  metrics: AllocMetrics;
}

const EMPTY: Record<string, number> = Object.freeze({}) as Record<string, number>;
const NO_SCORES: AllocMetrics['scoreMetaData'] = Object.freeze([]) as unknown as AllocMetrics['scoreMetaData'];

/** Placement stack of one task group for one pass; `select` then `commit` per placement. */
export class GroupStack {
  readonly ask: AllocatedResources;
  private readonly feasible: Int32Array;
  private readonly feasibleCount: number;
  private readonly isFeasible: Uint8Array;
  private cursor = 0;
  private readonly staticFiltered: Record<string, number> = {};
  private readonly limit: number;
  private readonly distinct: DistinctChecker;
  private readonly spread: SpreadScorer;
  private readonly affinity: Float64Array | null;
  private readonly groupCount: Int32Array;
  /** Feasible nodes per datacenter, shared by the metrics of every placement of the pass. */
  private readonly nodesAvailable: Record<string, number> = {};

  constructor(
    private readonly ctx: PassContext,
    job: Job,
    private readonly group: TaskGroup,
    rng: Rng,
    private readonly algorithm: SchedulerAlgorithm,
  ) {
    // Shared by every allocation the stack places (frozen, so a mutation fails loudly).
    this.ask = Object.freeze(groupResources(group));
    const req = groupRequirements(job, group);
    const n = ctx.nodes.length;
    this.feasible = new Int32Array(n);
    this.isFeasible = new Uint8Array(n);
    const count = feasibleNodes(ctx.table, req, this.feasible, this.staticFiltered);
    for (let k = 0; k < count; k++) this.isFeasible[this.feasible[k]!] = 1;
    this.feasibleCount = count;
    rng.shuffle(this.feasible, count);
    this.distinct = new DistinctChecker(ctx, job, group);
    this.spread = new SpreadScorer(ctx, job, group, this.feasible, count);
    const affinities = groupAffinities(job, group);
    this.affinity = affinities.length > 0 ? new Float64Array(n) : null;
    if (this.affinity) {
      for (let k = 0; k < count; k++) this.affinity[this.feasible[k]!] = affinityScore(ctx.nodes[this.feasible[k]!]!, affinities);
    }
    this.groupCount = ctx.groupCount(group.name);
    const dc = ctx.table.column('${node.datacenter}');
    const perDc = new Int32Array(dc.values.length);
    for (let k = 0; k < count; k++) perDc[dc.valueOf[this.feasible[k]!]!]!++;
    perDc.forEach((c, id) => {
      if (c > 0) this.nodesAvailable[dc.values[id]!] = c;
    });
    let limit: number = SCORING.minCandidateLimit;
    if (job.type === 'service' && n > 0) limit = Math.max(limit, Math.ceil(Math.log2(n)));
    if (this.affinity || this.spread.active) limit = Math.max(limit, SCORING.affinityOrSpreadCandidateLimit);
    this.limit = limit;
  }

  /** Score parts of node `i` (usage must be known). */
  private parts(i: number, opts: SelectOptions, out: Record<string, number> | null): number {
    const o = i * 3;
    const used = this.ctx.used;
    const cap = this.ctx.cap;
    const freeCpu = 1 - (used[o]! + this.ask.cpuMhz) / cap[o]!;
    const freeMem = 1 - (used[o + 1]! + this.ask.memoryMb) / cap[o + 1]!;
    let total = fitScore(this.algorithm, freeCpu, freeMem);
    let parts = 1;
    if (out) {
      // constant keys keep the object in fast mode with a shared shape
      if (this.algorithm === 'binpack') out['binpack'] = total;
      else out['spread'] = total;
    }
    const collisions = this.groupCount[i]!;
    if (collisions > 0) {
      const s = antiAffinityScore(collisions, this.group.count);
      total += s;
      parts++;
      if (out) out['job-anti-affinity'] = s;
    }
    if (opts.penaltyNodes?.has(i)) {
      total -= 1;
      parts++;
      if (out) out['node-reschedule-penalty'] = -1;
    }
    if (this.affinity) {
      const s = this.affinity[i]!;
      if (s !== 0) {
        total += s;
        parts++;
        if (out) out['node-affinity'] = s;
      }
    }
    if (this.spread.active) {
      const s = this.spread.score(i);
      total += s;
      parts++;
      if (out) out['allocation-spread'] = s;
    }
    if (opts.nearNode !== undefined) {
      const s = localityScore(this.ctx.nodes[opts.nearNode]!, this.ctx.nodes[i]!);
      total += s;
      parts++;
      if (out) out['locality'] = s;
    }
    return total / parts;
  }

  /** Picks a node for one more allocation, or `null` (with metrics in `lastFailure`) when none fits. */
  select(opts: SelectOptions = {}): Selection | null {
    if (opts.preferredNodes && opts.preferredNodes.length > 0) {
      const chosen = this.walk(opts, opts.preferredNodes.filter((i) => this.isFeasible[i] === 1));
      if (chosen) return chosen;
    }
    if (opts.nearNode !== undefined) {
      // Data locality in tiers, each tried in full before the next (the limited candidate walk
      // could otherwise miss the rack-mate): same rack, then same datacenter, then anywhere.
      const near = this.ctx.nodes[opts.nearNode]!;
      for (const tier of LOCALITY_TIERS) {
        const members: number[] = [];
        for (let k = 0; k < this.feasibleCount; k++) {
          const i = this.feasible[k]!;
          if (i !== opts.nearNode && localityScore(near, this.ctx.nodes[i]!) === tier) members.push(i);
        }
        const chosen = members.length > 0 ? this.walk(opts, members) : null;
        if (chosen) return chosen;
      }
    }
    return this.walk(opts, null);
  }

  /** Metrics of the last failed selection. */
  lastFailure: AllocMetrics | null = null;

  private walk(opts: SelectOptions, only: readonly number[] | null): Selection | null {
    const total = only ? only.length : this.feasibleCount;
    const limit = only ? total : this.limit;
    let evaluated = 0;
    let exhausted = 0;
    let distinctFiltered: Record<string, number> | null = null;
    let dims: Record<string, number> | null = null;
    let best = -1;
    let bestScore = -Infinity;
    let skipped: number[] | null = null;
    let skippedScores: number[] | null = null;
    for (let step = 0; step < total && evaluated < limit; step++) {
      let i: number;
      if (only) i = only[step]!;
      else {
        i = this.feasible[this.cursor]!;
        this.cursor = this.cursor + 1 === this.feasibleCount ? 0 : this.cursor + 1;
      }
      const violation = this.distinct.violation(i);
      if (violation !== undefined) {
        distinctFiltered ??= {};
        distinctFiltered[violation] = (distinctFiltered[violation] ?? 0) + 1;
        continue;
      }
      const dim = this.ctx.exhausts(i, this.ask.cpuMhz, this.ask.memoryMb, this.ask.diskMb);
      if (dim !== 0) {
        exhausted++;
        const name = dim === 1 ? 'cpu' : dim === 2 ? 'memory' : 'disk';
        dims ??= {};
        dims[name] = (dims[name] ?? 0) + 1;
        continue;
      }
      const score = this.parts(i, opts, null);
      // Nomad's limit iterator sets aside up to maxSkip poorly scored nodes and returns to them only
      // when the source runs dry.
      if (score < SCORING.skipScoreThreshold && (skipped === null || skipped.length < SCORING.maxSkip)) {
        (skipped ??= []).push(i);
        (skippedScores ??= []).push(score);
        continue;
      }
      evaluated++;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    for (let k = 0; skipped && skippedScores && k < skipped.length && evaluated < limit; k++) {
      evaluated++;
      if (skippedScores[k]! > bestScore) {
        bestScore = skippedScores[k]!;
        best = skipped[k]!;
      }
    }
    // Objects that do not vary between placements (static filter reasons, nodes per datacenter,
    // empty maps) are shared by the metrics of every allocation of the pass: a million placements
    // otherwise spend much of their time allocating identical maps.
    // The per-reason breakdown of distinct_* filtering is kept only for failed placements (where it
    // explains the failure); successful ones count it in nodesFiltered.
    const filtered = distinctFiltered && best < 0 ? { ...this.staticFiltered, ...distinctFiltered } : this.staticFiltered;
    const metrics: AllocMetrics = {
      nodesEvaluated: evaluated,
      nodesFiltered: this.ctx.nodes.length - this.feasibleCount + (distinctFiltered ? Object.values(distinctFiltered).reduce((a, b) => a + b, 0) : 0),
      nodesAvailable: this.nodesAvailable,
      constraintFiltered: filtered,
      nodesExhausted: exhausted,
      dimensionExhausted: dims ?? EMPTY,
      scoreMetaData: NO_SCORES,
    };
    if (best < 0) {
      this.lastFailure = metrics;
      return null;
    }
    const scores: Record<string, number> = {};
    const normScore = this.parts(best, opts, scores);
    // an array literal is allocated at its exact length; push() would reserve room for 17
    metrics.scoreMetaData = [{ nodeId: this.ctx.nodes[best]!.id, normScore, scores }];
    return { nodeIdx: best, metrics };
  }

  /** Records a placement made from this stack. */
  commit(nodeIdx: number): void {
    this.ctx.place(nodeIdx, this.group.name, this.ask);
    this.distinct.commit(nodeIdx);
    this.spread.commit(nodeIdx);
  }
}
