import type { MemberRecord } from '../../coordination/coordinator.js';
import type { RecipeHealth } from '../../recipes/recipe.js';
import type { ClusterSnapshot } from './snapshot.js';
import { betterCandidate, type PositionOrder } from './candidates.js';

/** What this member knows about itself when it decides. */
export interface SelfState {
  name: string;
  tags: readonly string[];
  priority: number;
  health: RecipeHealth;
  /** This member believes it holds the leader lease (it acquired or renewed it last). */
  holdsLease: boolean;
  /** How long this member has seen no leader (0 when there is one). */
  noLeaderForMs: number;
  /** How long this member's database has been seen down (0 while it is alive). */
  downForMs: number;
}

/** Tuning of the decision; durations in milliseconds. */
export interface DecideOptions {
  maxLagOnFailoverMs: number;
  /** After this long without a leader, a member stops deferring to better candidates that did not take over. */
  candidateTimeoutMs: number;
  /** A switchover request older than this is ignored (its target did not take over). */
  switchoverTimeoutMs: number;
  /** A lease holder whose database stays down longer than this gives the lease up so a replica can take over. */
  primaryDownBoundMs: number;
  nowMs: number;
  /** Negative when `a` is behind `b`, `null` for diverged histories (see Recipe.comparePositions). */
  comparePositions: PositionOrder;
  /** Whether a replication error means this member's history diverged (see Recipe.historyDiverged). */
  historyDiverged(replicationError: string): boolean;
}

/** One HA cycle's decision; `reason` is the INFO line's text. */
export type Decision =
  | { kind: 'renew'; reason: string }
  /** Give the lease up while this server does not accept writes (down, or behind another member). */
  | { kind: 'release'; reason: string }
  | { kind: 'handover'; to: string; reason: string }
  | { kind: 'acquire'; reason: string }
  | { kind: 'follow'; leader: string; address: string; reason: string }
  | { kind: 'rebootstrap'; reason: string }
  | { kind: 'fence'; reason: string }
  | { kind: 'wait'; reason: string };


/** A member that may take the lease: healthy, alive, not excluded, lag within bounds. */
function eligible(member: MemberRecord, options: DecideOptions): boolean {
  if (!member.healthy || member.tags.includes('nofailover')) return false;
  if (member.role === 'stopped' || member.role === 'starting') return false;
  return member.lagSeconds === null || member.lagSeconds * 1000 <= options.maxLagOnFailoverMs;
}

/**
 * The HA decision, a pure function of the snapshot and this member's own state:
 * - the lease holder renews, or hands over when a switchover names another member; it releases the
 *   lease when its database stayed down longer than `primaryDownBoundMs`, or when its server is
 *   not writable (it restarted) and another member is ahead of it;
 * - a member that believed it held the lease while the store names someone else (or no one) fences;
 * - with a leader elsewhere, follow it, unless this member's history is not a prefix of the
 *   leader's: then re-bootstrap from a backup (never silently diverge);
 * - with no leader, the switchover target takes the lease; otherwise only the best eligible member
 *   tries (the others wait), until `candidateTimeoutMs` passed without anyone taking over.
 */
export function decide(snapshot: ClusterSnapshot, self: SelfState, options: DecideOptions): Decision {
  const { leader } = snapshot;
  const switchover =
    snapshot.switchover && options.nowMs - Date.parse(snapshot.switchover.at) < options.switchoverTimeoutMs ? snapshot.switchover : null;
  if (!self.health.alive) {
    if (leader?.member === self.name && self.downForMs > options.primaryDownBoundMs) {
      return { kind: 'release', reason: `database down for more than ${options.primaryDownBoundMs}ms` };
    }
    if (leader?.member === self.name) return { kind: 'renew', reason: 'database is down; holding the lease while it restarts' };
    return { kind: 'wait', reason: 'database is down; waiting for it to restart' };
  }
  if (leader?.member === self.name) {
    if (switchover && switchover.to !== self.name && (switchover.from === undefined || switchover.from === self.name)) {
      return { kind: 'handover', to: switchover.to, reason: `switchover requested; handing the lease to ${switchover.to}` };
    }
    // A writable server has taken every write since it became primary; only a restarted one (crash
    // recovery truncates what no replica acknowledged) can be behind another member.
    const ahead = self.health.writable ? undefined : memberAhead(snapshot, self.name, self.health.position, options.comparePositions);
    if (ahead) return { kind: 'release', reason: `${ahead.name} is ahead of this server (${ahead.position} > ${self.health.position})` };
    return { kind: 'renew', reason: 'holding the lease as primary' };
  }
  if (self.holdsLease || self.health.writable) {
    return { kind: 'fence', reason: leader ? `lease now held by ${leader.member}; turning read-only` : 'lease lost; turning read-only' };
  }
  if (leader) {
    const leaderRecord = snapshot.members.find((m) => m.name === leader.member);
    const ahead = leaderRecord && leaderRecord.position !== '' ? options.comparePositions(self.health.position, leaderRecord.position) : -1;
    // Ahead of the leader's published position may only mean that position is a cycle old: follow,
    // and let the source refuse a history it does not contain (the error case below).
    if (ahead === null) {
      return { kind: 'rebootstrap', reason: `history at ${self.health.position} is not contained in ${leader.member}'s (${leaderRecord?.position}); re-bootstrapping from a backup` };
    }
    if (self.health.replicationError && options.historyDiverged(self.health.replicationError) && ahead !== null && ahead > 0) {
      // The leader's server lost transactions this member has (a crashed semi-sync primary
      // truncates what no replica acknowledged, but a replica may have received it): keep them;
      // the leader gives the lease up, or its position moves past this one's.
      return { kind: 'wait', reason: `${leader.member} is behind this member (${leaderRecord?.position} < ${self.health.position}); waiting instead of re-bootstrapping` };
    }
    if (self.health.replicationError && options.historyDiverged(self.health.replicationError)) {
      return { kind: 'rebootstrap', reason: `replication from ${leader.member} refused this history (${self.health.replicationError}); re-bootstrapping from a backup` };
    }
    const lag = self.health.lagSeconds === null ? '' : `, lag ${self.health.lagSeconds}s`;
    return {
      kind: 'follow',
      leader: leader.member,
      address: leader.address,
      reason: `following ${leader.member} at ${self.health.position || 'empty position'}${lag}`,
    };
  }
  if (switchover) {
    if (switchover.to === self.name) return { kind: 'acquire', reason: 'switchover to this member; taking the lease' };
    const target = snapshot.members.find((m) => m.name === switchover.to);
    if (target && eligible(target, options)) return { kind: 'wait', reason: `switchover to ${switchover.to} in progress` };
  }
  const me: MemberRecord | undefined = snapshot.members.find((m) => m.name === self.name);
  const mine: MemberRecord = {
    ...(me ?? { address: '', version: '' }),
    role: 'replica',
    name: self.name,
    position: self.health.position,
    healthy: true,
    lagSeconds: self.health.lagSeconds,
    tags: [...self.tags],
    priority: self.priority,
  };
  if (!eligible(mine, options)) return { kind: 'wait', reason: 'no leader; this member may not take over (nofailover or lagging)' };
  const rival = snapshot.members.find((m) => m.name !== self.name && eligible(m, options) && betterCandidate(m, mine, options.comparePositions));
  if (rival && self.noLeaderForMs < options.candidateTimeoutMs) {
    return { kind: 'wait', reason: `no leader; ${rival.name} is a better candidate (at ${rival.position})` };
  }
  const why = rival ? `${rival.name} did not take over within ${options.candidateTimeoutMs}ms` : 'this member is the most advanced';
  return { kind: 'acquire', reason: `no leader; ${why} (at ${self.health.position || 'empty position'}); taking the lease` };
}

/**
 * Another member whose position is strictly ahead of `position`, if any. A lease holder whose
 * server restarted (crash recovery truncates transactions no replica acknowledged) checks this
 * before turning writable again: such a member holds acknowledged writes and must take over.
 */
export function memberAhead(
  snapshot: ClusterSnapshot,
  self: string,
  position: string,
  comparePositions: (a: string, b: string) => number | null,
): MemberRecord | undefined {
  return snapshot.members.find((m) => m.name !== self && m.position !== '' && comparePositions(m.position, position) === 1);
}
