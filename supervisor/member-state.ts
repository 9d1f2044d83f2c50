import type { RecipeHealth } from '../recipes/recipe.js';
import type { LeaderRecord, MemberRole } from '../coordination/coordinator.js';

/** Lifecycle phases, in order; `running` is split into the primary and replica roles. */
export type Phase = 'starting' | 'preparing' | 'restoring' | 'initialising' | 'waiting-for-backup' | 'running' | 'stopping' | 'stopped';

/**
 * What this supervisor knows about its own member, written by the lifecycle and the HA loop and
 * read by the status server and the metrics. One object, updated in place, read without locks
 * (Node runs one thing at a time).
 */
export interface MemberState {
  phase: Phase;
  role: MemberRole;
  health: RecipeHealth | null;
  /** This member acquired or renewed the leader lease and has not lost it since. */
  holdsLease: boolean;
  leader: LeaderRecord | null;
  /** Local clock at the start of the last successful lease renewal (the lease runs from then at most). */
  lastRenewOkAtMs: number;
  /** How this member got its data on this start. */
  dataSource: 'keep' | 'init' | 'restore' | null;
  lastDecision: string;
  leaseRenewals: number;
  leaseRenewalFailures: number;
  /** Times the process watchdog killed the application because the lease was not renewed in time. */
  watchdogKills: number;
  haCycles: number;
  coordinatorReachable: boolean;
}

export function initialMemberState(): MemberState {
  return {
    phase: 'starting',
    role: 'starting',
    health: null,
    holdsLease: false,
    leader: null,
    lastRenewOkAtMs: 0,
    dataSource: null,
    lastDecision: 'starting',
    leaseRenewals: 0,
    leaseRenewalFailures: 0,
    watchdogKills: 0,
    haCycles: 0,
    coordinatorReachable: true,
  };
}

/** Writable and holding the lease: the only member `/primary` answers 200 on. */
export function isWritablePrimary(state: MemberState): boolean {
  return state.phase === 'running' && state.holdsLease && state.role === 'primary' && state.health?.writable === true;
}
