import type { Allocation, ReschedulePolicy, RescheduleTracker } from '../structs/index.js';

/**
 * Reschedule policy arithmetic, as in Nomad: which failed allocations may be replaced, after what
 * delay, and the tracker the replacement carries.
 */

/** When the allocation failed: the latest task finish time, else its last modification. */
export function failTimeMs(alloc: Allocation): number {
  let latest = 0;
  for (const t of Object.values(alloc.taskStates)) if (t.finishedAtMs > latest) latest = t.finishedAtMs;
  return latest > 0 ? latest : alloc.modifyTimeMs;
}

/**
 * True while the policy still allows a replacement: always when `unlimited`, otherwise when fewer
 * than `attempts` reschedules happened within `interval` before the failure.
 */
export function rescheduleEligible(policy: ReschedulePolicy, tracker: RescheduleTracker | null, failedAtMs: number): boolean {
  if (!policy.unlimited && policy.attempts <= 0) return false;
  if (policy.unlimited || !tracker) return true;
  let attempted = 0;
  for (const e of tracker.events) if (failedAtMs - e.rescheduleTimeMs < policy.intervalMs) attempted++;
  return attempted < policy.attempts;
}

/**
 * Delay before the next replacement. `constant`: always `delay`; `exponential`: the previous delay
 * doubled; `fibonacci`: the sum of the two previous delays (`delay, delay, 2·delay, 3·delay, …`);
 * both capped at `max_delay`. Reset rule: when the failed allocation ran longer than the delay it
 * would now get (time from its own reschedule to its failure), the series restarts at `delay` —
 * an allocation that stayed up for a day does not inherit the back-off of an old crash loop.
 * Nomad applies the reset only once the cap is reached; we apply it at every step (README).
 */
export function nextDelayMs(policy: ReschedulePolicy, tracker: RescheduleTracker | null, failedAtMs: number): number {
  const events = tracker?.events ?? [];
  const last = events[events.length - 1];
  if (!last || policy.delayFunction === 'constant') return policy.delayMs;
  let delay = policy.delayMs;
  if (policy.delayFunction === 'exponential') delay = last.delayMs * 2;
  else if (events.length >= 2) {
    const prev = events[events.length - 2]!;
    // A series restarted by the reset rule (cap followed by the base delay) starts over.
    delay = prev.delayMs === policy.maxDelayMs && last.delayMs === policy.delayMs ? last.delayMs : last.delayMs + prev.delayMs;
  }
  if (policy.maxDelayMs > 0 && delay > policy.maxDelayMs) delay = policy.maxDelayMs;
  if (failedAtMs - last.rescheduleTimeMs > delay) delay = policy.delayMs;
  return delay;
}

/**
 * The tracker a replacement carries: the failed allocation's events (those still inside the
 * interval when the policy is limited, the last 10 when unlimited) plus this reschedule.
 */
export function nextTracker(policy: ReschedulePolicy, failed: Allocation, nowMs: number, delayMs: number): RescheduleTracker {
  let events = failed.rescheduleTracker?.events ?? [];
  if (policy.unlimited) events = events.slice(-9);
  else events = events.filter((e) => nowMs - e.rescheduleTimeMs < policy.intervalMs);
  return {
    events: [...events, { rescheduleTimeMs: nowMs, prevAllocId: failed.id, prevNodeId: failed.nodeId, delayMs }],
  };
}

/** Nodes a replacement should avoid: the failed allocation's node and every earlier one in its tracker. */
export function penaltyNodeIds(failed: Allocation): string[] {
  const ids = new Set<string>([failed.nodeId]);
  for (const e of failed.rescheduleTracker?.events ?? []) ids.add(e.prevNodeId);
  return [...ids];
}
