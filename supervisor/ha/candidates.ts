import type { MemberRecord } from '../../coordination/coordinator.js';

/** Negative when `a` is behind `b`, 0 when equal, positive when ahead, `null` for diverged histories. */
export type PositionOrder = (a: string, b: string) => number | null;

/**
 * Is `a` a better failover candidate than `b`? More advanced position first, then priority, then
 * name, so every member (and `pilotfish switchover`) computes the same order. Incomparable
 * (diverged) positions never make `a` better.
 */
export function betterCandidate(a: MemberRecord, b: MemberRecord, compare: PositionOrder): boolean {
  const cmp = compare(a.position, b.position);
  if (cmp === null) return false;
  if (cmp !== 0) return cmp > 0;
  const pa = a.priority ?? 0;
  const pb = b.priority ?? 0;
  if (pa !== pb) return pa > pb;
  return a.name < b.name;
}

/**
 * The candidate no other candidate is better than, by {@link betterCandidate}; with diverged
 * histories among them, the first such one in the list. `undefined` for an empty list.
 */
export function bestCandidate(candidates: readonly MemberRecord[], compare: PositionOrder): MemberRecord | undefined {
  return candidates.find((c) => !candidates.some((other) => other !== c && betterCandidate(other, c, compare))) ?? candidates[0];
}
