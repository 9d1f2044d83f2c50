import type { Coordinator, LeaderRecord, MemberRecord } from '../../coordination/coordinator.js';

/** Content of `backups/latest`, written after a backup's manifest landed. */
export interface LatestBackup {
  id: string;
  position: string;
  /** ISO timestamp of when the backup finished. */
  at: string;
  member?: string;
  bytes?: number;
  durationMs?: number;
}

/** Content of `backups/requested`: a member asks for a backup (its binary log rotated). */
export interface BackupRequest {
  at: string;
  by: string;
  reason: string;
}

/** Content of `switchover`: an operator asks the primary to hand over to `to`. */
export interface SwitchoverRequest {
  from?: string;
  to: string;
  at: string;
}

/** Content of `initialized`. */
export interface InitializedRecord {
  by: string;
  at: string;
}

/**
 * What the HA loop decides from: one read of the cluster's keys, frozen, so a decision never mixes
 * two moments of the store.
 */
export interface ClusterSnapshot {
  readonly leader: LeaderRecord | null;
  readonly members: readonly MemberRecord[];
  readonly initialized: InitializedRecord | null;
  readonly latestBackup: LatestBackup | null;
  readonly backupRequested: BackupRequest | null;
  readonly switchover: SwitchoverRequest | null;
  /** Local clock when the read started. */
  readonly readAtMs: number;
}

function parse<T>(value: string | undefined): T | null {
  if (value === undefined) return null;
  try {
    return JSON.parse(value) as T;
  } catch {
    return null;
  }
}

/** Reads every key a decision needs, in parallel. Throws CoordinatorUnavailable like the port. */
export async function readSnapshot(coordinator: Coordinator, nowMs = Date.now()): Promise<ClusterSnapshot> {
  const [leader, members, initialized, latest, requested, switchover] = await Promise.all([
    coordinator.getLeader(),
    coordinator.listMembers(),
    coordinator.get('initialized'),
    coordinator.get('backups/latest'),
    coordinator.get('backups/requested'),
    coordinator.get('switchover'),
  ]);
  return Object.freeze({
    leader,
    members: Object.freeze([...members]),
    initialized: parse<InitializedRecord>(initialized?.value),
    latestBackup: parse<LatestBackup>(latest?.value),
    backupRequested: parse<BackupRequest>(requested?.value),
    switchover: parse<SwitchoverRequest>(switchover?.value),
    readAtMs: nowMs,
  });
}
