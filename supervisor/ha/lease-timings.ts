import { formatDurationMs } from '../../common/duration.js';
import type { LeaseBounds } from '../../coordination/lease.js';

/**
 * Every timing of the HA loop, derived in {@link haTimings} from one lease (as the store really
 * keeps it) and the `ha:` settings; all in milliseconds. Nothing else in the supervisor multiplies
 * a TTL.
 */
export interface HaTimings {
  loopWaitMs: number;
  /** The shortest time the store keeps the lease after a renewal (`Coordinator.lease.ttlMs`). */
  ttlMs: number;
  safetyMarginMs: number;
  /** After a renewal began, the primary turns read-only unless it renewed again (`ttl − safetyMargin`). */
  fenceAfterMs: number;
  /**
   * After a renewal began, the process watchdog kills the database unless it renewed again or
   * the database confirmed it is read-only (`ttl − safetyMargin / 2`): after the fence, before the
   * lease can end.
   */
  watchdogAfterMs: number;
  maxLagOnFailoverMs: number;
  /** A primary whose database stays down this long gives the lease up so a replica can take over. */
  primaryDownBoundMs: number;
  /** Without a leader for this long, members stop deferring to a better candidate that did not act. */
  candidateTimeoutMs: number;
  /** A switchover whose target has not taken over after this long is ignored. */
  switchoverTimeoutMs: number;
  /** How long a planned handover waits for its target to catch up before the primary stays. */
  handoverBoundMs: number;
  /** TTL of the service check the HA loop passes on every cycle. */
  serviceCheckTtlMs: number;
}

/** The `ha:` settings the timings are derived from. */
export interface HaSettings {
  loopWaitMs: number;
  safetyMarginMs: number;
  maxLagOnFailoverMs: number;
}

/** A restarting database is given at least this long before its primary gives the lease up. */
const PRIMARY_DOWN_FLOOR_MS = 15_000;
const SWITCHOVER_TIMEOUT_MS = 30_000;
const HANDOVER_BOUND_MS = 10_000;
/**
 * The process watchdog fires `safetyMargin / 2` after the fence and as long before the lease's end;
 * each half must cover a scheduling delay and the dead-man event's whole-second schedule slack.
 */
export const MIN_SAFETY_MARGIN_MS = 500;

/** The loop's timings for a store lease and the `ha:` settings. */
export function haTimings(lease: LeaseBounds, ha: HaSettings): HaTimings {
  const ttlMs = lease.ttlMs;
  return {
    loopWaitMs: ha.loopWaitMs,
    ttlMs,
    safetyMarginMs: ha.safetyMarginMs,
    fenceAfterMs: ttlMs - ha.safetyMarginMs,
    watchdogAfterMs: ttlMs - ha.safetyMarginMs / 2,
    maxLagOnFailoverMs: ha.maxLagOnFailoverMs,
    primaryDownBoundMs: Math.max(3 * ttlMs, PRIMARY_DOWN_FLOOR_MS),
    // A dead primary may keep its lease up to maxTtl; the clock starts when the lease is gone.
    candidateTimeoutMs: 2 * ttlMs,
    switchoverTimeoutMs: SWITCHOVER_TIMEOUT_MS,
    handoverBoundMs: Math.min(SWITCHOVER_TIMEOUT_MS, HANDOVER_BOUND_MS),
    serviceCheckTtlMs: Math.max(ttlMs, 3 * ha.loopWaitMs),
  };
}

/** One impossible combination, reported at the first path it names. */
export interface TimingProblem {
  path: string;
  message: string;
}

/** Where each input of {@link leaseTimingProblems} sits in the configuration, for its messages. */
export interface TimingInputs {
  lease: LeaseBounds;
  ttlPath: string;
  /** How long one call to the store may take before it counts as failed (`coordinator.*.timeout`). */
  renewTimeoutMs: number;
  timeoutPath: string;
  ha: HaSettings;
}

const d = formatDurationMs;

/**
 * The rules that keep a healthy primary from fencing itself and a frozen one from outliving its
 * lease, in the spirit of Patroni's `loop_wait + 2 × retry_timeout ≤ ttl`:
 * 1. `safetyMargin ≥ 500ms`, so the watchdog's deadline lies strictly between fence and lease end;
 * 2. `safetyMargin < ttl`;
 * 3. `loopWait + timeout < ttl − safetyMargin`: the next renewal (one loop wait later, taking at
 *    most one store timeout) lands before the fence deadline of the one before.
 * Returns every rule broken; none when the combination is safe.
 */
export function leaseTimingProblems(inputs: TimingInputs): TimingProblem[] {
  const { lease, ttlPath, renewTimeoutMs, timeoutPath, ha } = inputs;
  const problems: TimingProblem[] = [];
  const ttl = `${ttlPath} (${d(lease.ttlMs)} as the store grants it)`;
  if (ha.safetyMarginMs < MIN_SAFETY_MARGIN_MS) {
    problems.push({
      path: 'ha.safetyMargin',
      message: `must be at least ${d(MIN_SAFETY_MARGIN_MS)}: the process watchdog fires halfway between the fence and the lease's end, and each half must absorb a scheduling delay`,
    });
  }
  if (ha.safetyMarginMs >= lease.ttlMs) {
    problems.push({
      path: 'ha.safetyMargin',
      message: `must be shorter than ${ttl}: the primary would fence itself at the moment it renews; raise the ttl or lower the margin`,
    });
    return problems;
  }
  const fenceAfterMs = lease.ttlMs - ha.safetyMarginMs;
  const cycleMs = ha.loopWaitMs + renewTimeoutMs;
  if (cycleMs >= fenceAfterMs) {
    problems.push({
      path: 'ha.loopWait',
      message:
        `ha.loopWait (${d(ha.loopWaitMs)}) + ${timeoutPath} (${d(renewTimeoutMs)}) = ${d(cycleMs)} must be less than ` +
        `${ttl} − ha.safetyMargin (${d(ha.safetyMarginMs)}) = ${d(fenceAfterMs)}: a healthy primary would fence itself ` +
        `before its next renewal lands; raise ${ttlPath} to at least ${d(Math.ceil((cycleMs + ha.safetyMarginMs + 1) / 1000) * 1000)}, ` +
        `or lower ha.loopWait, ${timeoutPath} or ha.safetyMargin`,
    });
  }
  return problems;
}
