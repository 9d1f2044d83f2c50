import type { AllocMetrics, AllocatedResources, Job, TaskGroup } from '../structs/index.js';
import { SCORING, groupResources } from '../structs/index.js';
import type { PassContext } from './context.js';
import { DistinctChecker } from './distinct.js';
import { countByDatacenter, feasibleNodes, groupRequirements } from './feasible.js';
import { LOCALITY_TIERS, localityScore, tierMembers } from './locality.js';
import { perAllocFailureMetrics, perAllocPool, staticFailure } from './per-alloc.js';
import { affinityScore, antiAffinityScore, candidateLimit, fitScore, groupAffinities } from './rank.js';
import type { Rng } from './rng.js';
import { SpreadScorer } from './spread.js';
import { ExhaustedMaps, PlacementMetrics, SCORE_SLOTS, SLOT, ScoreLog } from './metrics.js';
import type { SchedulerAlgorithm } from './state.js';

/** Per-placement preferences. */
export interface SelectOptions {
  /** Node indices a rescheduled allocation failed on: scored -1 (Nomad's node-reschedule-penalty). */
  penaltyNodes?: ReadonlySet<number>;
  /** Node indices tried first, e.g. the previous node of a sticky ephemeral disk (part 2 hook). */
  preferredNodes?: readonly number[];
  /** Node index whose rack and datacenter are preferred (data locality for migrations). */
  nearNode?: number;
}

const EMPTY: Record<string, number> = Object.freeze({}) as Record<string, number>;

/** Collision counts whose anti-affinity score a stack precomputes (more fall back to the function). */
const ANTI_AFFINITY_TABLE = 64;

/**
 * The placement stack of one task group for one pass: node-local feasibility once per node, a
 * seeded shuffle, then for each placement (`select`, then `commit`) a walk over a limited number of
 * candidates (continuing where the previous placement stopped, as Nomad's source iterator does)
 * that drops nodes violating distinct_* or lacking resources, scores the rest and keeps the best.
 */
export class GroupStack {
  readonly ask: AllocatedResources;
  private readonly feasible: Int32Array;
  private readonly feasibleCount: number;
  /** Feasibility by node index, built on first use (only placements with preferred nodes need it). */
  private isFeasible: Uint8Array | null = null;
  private cursor = 0;
  private readonly staticFiltered: Record<string, number> = {};
  private readonly limit: number;
  private readonly distinct: DistinctChecker;
  private readonly spread: SpreadScorer;
  private readonly affinity: Float64Array | null;
  private readonly groupCount: Int32Array;
  /** Feasible nodes per datacenter, shared by the metrics of every placement of the pass. */
  private readonly nodesAvailable: Record<string, number>;
  /** Score breakdowns of this stack's placements, referenced by their metrics. */
  private readonly scoreLog: ScoreLog;
  private readonly exhaustedMaps: ExhaustedMaps;
  /** Sources of the group's `per_alloc` volumes; `null` for groups without any (the common case). */
  readonly perAlloc: readonly string[] | null;
  /** Distinct_* filter counts of the current walk per violation code (see DistinctChecker). */
  private readonly distinctCounts: Int32Array;
  /**
   * `antiAffinityScore(c, group.count)` by collision count `c`, for the counts a node usually
   * reaches: read from a typed array the score is not boxed, as the function's result was.
   */
  private readonly antiAffinity: Float64Array;
  /** Where `parts` writes a candidate's score during the walk (only the norm slot is read). */
  private readonly scratch = new Float64Array(SCORE_SLOTS);
  /** Candidates the walk set aside (see `SCORING.maxSkip`) and their scores, reused by every walk. */
  private readonly skipped = new Int32Array(SCORING.maxSkip);
  private readonly skippedScores = new Float64Array(SCORING.maxSkip);

  constructor(
    private readonly ctx: PassContext,
    job: Job,
    private readonly group: TaskGroup,
    rng: Rng,
    private readonly algorithm: SchedulerAlgorithm,
    /** Placements this pass will ask for (sizes the score log, which every placed allocation keeps alive). */
    expectedPlacements = group.count,
  ) {
    // Shared by every allocation the stack places (frozen, so a mutation fails loudly).
    this.ask = Object.freeze(groupResources(group));
    const req = groupRequirements(job, group);
    const n = ctx.nodes.length;
    this.feasible = new Int32Array(n);
    const count = feasibleNodes(ctx.table, req, this.feasible, this.staticFiltered);
    this.feasibleCount = count;
    this.exhaustedMaps = new ExhaustedMaps(count);
    this.perAlloc = req.perAllocVolumes.length > 0 ? req.perAllocVolumes : null;
    rng.shuffle(this.feasible, count);
    this.distinct = new DistinctChecker(ctx, job, group);
    this.distinctCounts = new Int32Array(this.distinct.codes);
    this.antiAffinity = new Float64Array(ANTI_AFFINITY_TABLE);
    for (let c = 1; c < ANTI_AFFINITY_TABLE; c++) this.antiAffinity[c] = antiAffinityScore(c, group.count);
    this.spread = new SpreadScorer(ctx, job, group, this.feasible, count);
    const affinities = groupAffinities(job, group);
    this.affinity = affinities.length > 0 ? new Float64Array(n) : null;
    if (this.affinity) {
      for (let k = 0; k < count; k++) this.affinity[this.feasible[k]!] = affinityScore(ctx.nodes[this.feasible[k]!]!, affinities);
    }
    this.groupCount = ctx.groupCount(group.name);
    this.nodesAvailable = countByDatacenter(ctx.table, this.feasible, count);
    this.limit = candidateLimit(job.type, n, this.affinity !== null || this.spread.active);
    this.scoreLog = new ScoreLog(algorithm, expectedPlacements, this.nodesAvailable, this.staticFiltered);
  }

  /**
   * Scores node `i` (usage must be known): writes the normalised score and the parts that apply at
   * `out[at + SLOT.*]` (see {@link SLOT}). It returns nothing on purpose: a number returned from a
   * call V8 does not inline is boxed, and the walk scores some 16 million candidates (256 MB of
   * garbage, a third of all the core allocated); the walk reads the score from its scratch slots.
   */
  private parts(i: number, penalty: ReadonlySet<number> | null, near: number, out: Float64Array, at: number): void {
    const o = i * 3;
    const used = this.ctx.used;
    const cap = this.ctx.cap;
    const freeCpu = 1 - (used[o]! + this.ask.cpuMhz) / cap[o]!;
    const freeMem = 1 - (used[o + 1]! + this.ask.memoryMb) / cap[o + 1]!;
    let total = fitScore(this.algorithm, freeCpu, freeMem);
    let parts = 1;
    out[at + SLOT.fit] = total;
    const collisions = this.groupCount[i]!;
    if (collisions > 0) {
      const s = collisions < this.antiAffinity.length ? this.antiAffinity[collisions]! : antiAffinityScore(collisions, this.group.count);
      total += s;
      parts++;
      out[at + SLOT.antiAffinity] = s;
    }
    if (penalty !== null && penalty.has(i)) {
      total -= 1;
      parts++;
      out[at + SLOT.penalty] = -1;
    }
    if (this.affinity) {
      const s = this.affinity[i]!;
      if (s !== 0) {
        total += s;
        parts++;
        out[at + SLOT.affinity] = s;
      }
    }
    if (this.spread.active) {
      const s = this.spread.score(i);
      total += s;
      parts++;
      out[at + SLOT.spread] = s;
    }
    if (near >= 0) {
      const s = localityScore(this.ctx.nodes[near]!, this.ctx.nodes[i]!);
      total += s;
      parts++;
      out[at + SLOT.locality] = s;
    }
    out[at + SLOT.norm] = total / parts;
  }

  /**
   * Picks a node for one more allocation: its index, with the metrics explaining the choice in
   * `lastMetrics`; or -1 when none fits, with the metrics in `lastFailure`. A number and two fields
   * rather than a result object: one such object per placement was a million pieces of garbage.
   * `index` (the allocation's) matters only with `per_alloc` volumes: see per-alloc.ts.
   */
  select(opts: SelectOptions = {}, index = -1): number {
    let pool: readonly number[] | null = null;
    if (this.perAlloc !== null) {
      pool = perAllocPool(this.ctx.table, this.feasibleSet(), this.perAlloc, index);
      if (pool.length === 0) return this.perAllocFailure(index, 0, false);
    }
    if (opts.preferredNodes && opts.preferredNodes.length > 0) {
      const feasible = this.feasibleSet();
      const chosen = this.walk(opts, opts.preferredNodes.filter((i) => feasible[i] === 1 && (pool === null || pool.includes(i))));
      if (chosen >= 0) return chosen;
    }
    if (opts.nearNode !== undefined) {
      // Data locality in tiers, each tried in full before the next (the limited candidate walk
      // could otherwise miss the rack-mate): same rack, then same datacenter, then anywhere.
      for (const tier of LOCALITY_TIERS) {
        const members = tierMembers(this.ctx.nodes, opts.nearNode, pool ?? this.feasible, pool?.length ?? this.feasibleCount, tier);
        const chosen = members.length > 0 ? this.walk(opts, members) : -1;
        if (chosen >= 0) return chosen;
      }
    }
    const chosen = this.walk(opts, pool);
    return chosen < 0 && pool !== null ? this.perAllocFailure(index, pool.length) : chosen;
  }

  /** Records why a `per_alloc` placement found no node (see {@link perAllocFailureMetrics}); `walked`: build on the walk's failure. */
  private perAllocFailure(index: number, poolSize: number, walked = true): -1 {
    const base = (walked ? this.lastFailure : null) ?? staticFailure(this.ctx.nodes.length - this.feasibleCount, this.nodesAvailable, this.staticFiltered);
    this.lastFailure = perAllocFailureMetrics(base, this.perAlloc!, index, this.feasibleCount - poolSize);
    return -1;
  }

  private feasibleSet(): Uint8Array {
    if (!this.isFeasible) {
      this.isFeasible = new Uint8Array(this.ctx.nodes.length);
      // the ring is only reordered by the shuffle, so its first feasibleCount entries are the feasible nodes
      for (let k = 0; k < this.feasibleCount; k++) this.isFeasible[this.feasible[k]!] = 1;
    }
    return this.isFeasible;
  }

  /** Metrics of the last failed selection. */
  lastFailure: AllocMetrics | null = null;
  /** Metrics of the last successful selection. */
  lastMetrics: AllocMetrics | null = null;

  private walk(opts: SelectOptions, only: readonly number[] | null): number {
    const total = only ? only.length : this.feasibleCount;
    const limit = only ? total : this.limit;
    // read once: the options object varies in shape between placements
    const penalty = opts.penaltyNodes ?? null;
    const near = opts.nearNode ?? -1;
    const scratch = this.scratch;
    let evaluated = 0;
    let exhausted = 0;
    let distinctTotal = 0;
    const distinctCounts = this.distinctCounts;
    distinctCounts.fill(0);
    let exCpu = 0;
    let exMem = 0;
    let exDisk = 0;
    let best = -1;
    let bestScore = -Infinity;
    const skipped = this.skipped;
    const skippedScores = this.skippedScores;
    let skips = 0;
    for (let step = 0; step < total && evaluated < limit; step++) {
      let i: number;
      if (only) i = only[step]!;
      else {
        i = this.feasible[this.cursor]!;
        this.cursor = this.cursor + 1 === this.feasibleCount ? 0 : this.cursor + 1;
      }
      const violation = this.distinct.violation(i);
      if (violation !== 0) {
        distinctCounts[violation]!++;
        distinctTotal++;
        continue;
      }
      const dim = this.ctx.exhausts(i, this.ask.cpuMhz, this.ask.memoryMb, this.ask.diskMb);
      if (dim !== 0) {
        exhausted++;
        if (dim === 1) exCpu++;
        else if (dim === 2) exMem++;
        else exDisk++;
        continue;
      }
      this.parts(i, penalty, near, scratch, 0);
      const score = scratch[SLOT.norm]!;
      // Nomad's limit iterator sets aside up to maxSkip poorly scored nodes and returns to them only
      // when the source runs dry.
      if (score < SCORING.skipScoreThreshold && skips < SCORING.maxSkip) {
        skipped[skips] = i;
        skippedScores[skips++] = score;
        continue;
      }
      evaluated++;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    for (let k = 0; k < skips && evaluated < limit; k++) {
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
    const dims = exhausted === 0 ? EMPTY : this.exhaustedMaps.get(exCpu, exMem, exDisk);
    const nodesFiltered = this.ctx.nodes.length - this.feasibleCount + distinctTotal;
    if (best < 0) {
      let distinctFiltered: Record<string, number> | null = null;
      for (let code = 1; code < distinctCounts.length; code++) {
        if (distinctCounts[code]! > 0) (distinctFiltered ??= {})[this.distinct.reason(code)] = distinctCounts[code]!;
      }
      this.lastFailure = {
        nodesEvaluated: evaluated,
        nodesFiltered,
        nodesAvailable: this.nodesAvailable,
        constraintFiltered: distinctFiltered ? { ...this.staticFiltered, ...distinctFiltered } : this.staticFiltered,
        nodesExhausted: exhausted,
        dimensionExhausted: dims,
        scoreMetaData: [],
      };
      return -1;
    }
    const log = this.scoreLog;
    const at = log.append(this.ctx.nodes[best]!.id, evaluated, nodesFiltered, exhausted, dims);
    this.parts(best, penalty, near, log.values, at);
    this.lastMetrics = new PlacementMetrics(log, at);
    return best;
  }

  /** Records a placement made from this stack. */
  commit(nodeIdx: number): void {
    this.ctx.place(nodeIdx, this.group.name, this.ask);
    this.distinct.commit(nodeIdx);
    this.spread.commit(nodeIdx);
  }
}
