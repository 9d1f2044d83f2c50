import type { MemberRecord } from '../coordinator/coordinator.js';
import type { RecipeHealth } from '../../recipes/recipe.js';
import type { ClusterSnapshot } from './snapshot.js';

/** What this member knows about itself when it decides. */
export interface SelfState {
  name: string;
  tags: readonly string[];
  priority: number;
  health: RecipeHealth;
  /** This member believes it holds the leader lease (it acquired or renewed it last). */
  holdsLease: boolean;
}

/** Tuning of the decision; durations in milliseconds. */
export interface DecideOptions {
  maxLagOnFailoverMs: number;
  /** Negative when `a` is behind `b`, `null` for diverged histories (see Recipe.comparePositions). */
  comparePositions(a: string, b: string): number | null;
}

/** One HA cycle's decision; `reason` is the INFO line's text. */
export type Decision =
  | { kind: 'renew'; reason: string }
  | { kind: 'acquire'; reason: string }
  | { kind: 'follow'; leader: string; address: string; reason: string }
  | { kind: 'fence'; reason: string }
  | { kind: 'wait'; reason: string };

/**
 * Is `a` a better failover candidate than `b`? More advanced position first, then priority, then
 * name (so every member computes the same order).
 */
function better(a: MemberRecord, b: MemberRecord, options: DecideOptions): boolean {
  const cmp = options.comparePositions(a.position, b.position);
  if (cmp !== null && cmp !== 0) return cmp > 0;
  const pa = a.priority ?? 0;
  const pb = b.priority ?? 0;
  if (pa !== pb) return pa > pb;
  return a.name < b.name;
}

/** A member that may take the lease: healthy, alive, not excluded, lag within bounds. */
function eligible(member: MemberRecord, options: DecideOptions): boolean {
  if (!member.healthy || member.tags.includes('nofailover')) return false;
  if (member.role === 'stopped') return false;
  return member.lagSeconds === null || member.lagSeconds * 1000 <= options.maxLagOnFailoverMs;
}

/**
 * The HA decision, a pure function of the snapshot and this member's own state:
 * - the lease holder renews (and becomes writable if it is not);
 * - a member that believed it held the lease but the store names someone else (or no one) fences;
 * - with a leader elsewhere, follow it;
 * - with no leader, only the best eligible member tries to take the lease; the others wait.
 */
export function decide(snapshot: ClusterSnapshot, self: SelfState, options: DecideOptions): Decision {
  const { leader } = snapshot;
  if (!self.health.alive) {
    if (leader?.member === self.name) return { kind: 'renew', reason: 'database is down; holding the lease while it restarts' };
    return { kind: 'wait', reason: 'database is down; waiting for it to restart' };
  }
  if (leader?.member === self.name) return { kind: 'renew', reason: 'holding the lease as primary' };
  if (self.holdsLease || self.health.writable) {
    return { kind: 'fence', reason: leader ? `lease now held by ${leader.member}; turning read-only` : 'lease lost; turning read-only' };
  }
  if (leader) {
    const lag = self.health.lagSeconds === null ? '' : `, lag ${self.health.lagSeconds}s`;
    return {
      kind: 'follow',
      leader: leader.member,
      address: leader.address,
      reason: `following ${leader.member} at ${self.health.position || 'empty position'}${lag}`,
    };
  }
  const me: MemberRecord | undefined = snapshot.members.find((m) => m.name === self.name);
  const mine: MemberRecord = {
    ...(me ?? { address: '', version: '', role: 'replica' as const }),
    name: self.name,
    position: self.health.position,
    healthy: true,
    lagSeconds: self.health.lagSeconds,
    tags: [...self.tags],
    priority: self.priority,
  };
  if (!eligible(mine, options)) return { kind: 'wait', reason: 'no leader; this member may not take over (nofailover or lagging)' };
  const rival = snapshot.members.find((m) => m.name !== self.name && eligible(m, options) && better(m, mine, options));
  if (rival) return { kind: 'wait', reason: `no leader; ${rival.name} is a better candidate (at ${rival.position})` };
  return { kind: 'acquire', reason: `no leader; this member is the most advanced (at ${self.health.position || 'empty position'}); taking the lease` };
}
