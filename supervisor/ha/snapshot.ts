import type { Coordinator, LeaderRecord, MemberRecord } from '../../coordination/coordinator.js';
import {
  BACKUP_REQUESTED,
  INITIALIZED,
  LATEST_BACKUP,
  readKey,
  SWITCHOVER,
  type BackupRequest,
  type InitializedRecord,
  type LatestBackup,
  type SwitchoverRequest,
} from '../cluster-keys.js';

export type { BackupRequest, InitializedRecord, LatestBackup, SwitchoverRequest };

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

/** Reads every key a decision needs, in parallel. Throws CoordinatorUnavailable like the port. */
export async function readSnapshot(coordinator: Coordinator, nowMs = Date.now()): Promise<ClusterSnapshot> {
  const [leader, members, initialized, latest, requested, switchover] = await Promise.all([
    coordinator.getLeader(),
    coordinator.listMembers(),
    readKey(coordinator, INITIALIZED),
    readKey(coordinator, LATEST_BACKUP),
    readKey(coordinator, BACKUP_REQUESTED),
    readKey(coordinator, SWITCHOVER),
  ]);
  return Object.freeze({
    leader,
    members: Object.freeze([...members]),
    initialized,
    latestBackup: latest,
    backupRequested: requested,
    switchover,
    readAtMs: nowMs,
  });
}
