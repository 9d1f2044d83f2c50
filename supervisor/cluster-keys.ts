import { z } from 'zod';
import type { Coordinator } from '../coordination/coordinator.js';

/**
 * The cluster's shared keys below `pilotfish/<cluster>/` besides the leader lease and the member
 * entries (which the Coordinator port owns): what each holds and how it is read back. Every read
 * and write of these keys goes through this module.
 *
 * One decode policy: a value is JSON checked against its schema; unknown fields are kept out, so
 * a newer writer's extra fields never break an older reader. A value that is present but does not
 * decode is handled per key by `whenUnreadable`:
 * - `absent` for advisory keys (a request nobody can read is a request nobody made);
 * - a placeholder for `initialized`, whose presence is what matters: a cluster with an unreadable
 *   `initialized` key is still initialised, so no member may create a new, empty data set.
 */

const latestBackupSchema = z.object({
  id: z.string().min(1),
  /** The recipe's position at the backup (MariaDB GTID list for MySQL). */
  position: z.string(),
  /** ISO timestamp of when the backup finished. */
  at: z.string(),
  member: z.string().optional(),
  bytes: z.number().optional(),
  /** Bytes a snapshot did not upload because the store already held them. */
  dedupBytes: z.number().optional(),
  durationMs: z.number().optional(),
});

const backupRequestSchema = z.object({ at: z.string(), by: z.string(), reason: z.string() });

const switchoverRequestSchema = z.object({ from: z.string().optional(), to: z.string().min(1), at: z.string() });

const initializedSchema = z.object({ by: z.string(), at: z.string() });

/** Content of `backups/latest`, written after a backup's manifest landed. */
export type LatestBackup = z.output<typeof latestBackupSchema>;
/** Content of `backups/requested`: a member asks for a backup (e.g. its binary log rotated). */
export type BackupRequest = z.output<typeof backupRequestSchema>;
/** Content of `switchover`: an operator asks the primary to hand over to `to`. */
export type SwitchoverRequest = z.output<typeof switchoverRequestSchema>;
/** Content of `initialized`: who created the cluster's data set, and when. */
export type InitializedRecord = z.output<typeof initializedSchema>;

export interface ClusterKey<T> {
  /** Key name below the cluster's prefix. */
  readonly name: string;
  readonly schema: z.ZodType<T>;
  /** What a present value that does not decode reads as. */
  readonly whenUnreadable: 'absent' | { placeholder: T };
}

export const INITIALIZED: ClusterKey<InitializedRecord> = {
  name: 'initialized',
  schema: initializedSchema,
  whenUnreadable: { placeholder: { by: 'unknown (unreadable initialized key)', at: '' } },
};
export const LATEST_BACKUP: ClusterKey<LatestBackup> = { name: 'backups/latest', schema: latestBackupSchema, whenUnreadable: 'absent' };
export const BACKUP_REQUESTED: ClusterKey<BackupRequest> = { name: 'backups/requested', schema: backupRequestSchema, whenUnreadable: 'absent' };
export const SWITCHOVER: ClusterKey<SwitchoverRequest> = { name: 'switchover', schema: switchoverRequestSchema, whenUnreadable: 'absent' };
/** The session-bound lock one member holds while it takes a backup; its value is a BackupLock. */
export const BACKUP_LOCK = 'backups/lock';

/** Decodes a raw value read from `key` (`undefined` when the key is absent) by the policy above. */
export function decodeKey<T>(key: ClusterKey<T>, raw: string | undefined): T | null {
  if (raw === undefined) return null;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = undefined;
  }
  const parsed = key.schema.safeParse(json);
  if (parsed.success) return parsed.data;
  return key.whenUnreadable === 'absent' ? null : key.whenUnreadable.placeholder;
}

export function encodeKey<T>(key: ClusterKey<T>, value: T): string {
  return JSON.stringify(key.schema.parse(value));
}

/** Reads and decodes `key`. Throws CoordinatorUnavailable like the port. */
export async function readKey<T>(coordinator: Coordinator, key: ClusterKey<T>): Promise<T | null> {
  return decodeKey(key, (await coordinator.get(key.name))?.value);
}

/** Writes `key` unconditionally. */
export function writeKey<T>(coordinator: Coordinator, key: ClusterKey<T>, value: T): Promise<void> {
  return coordinator.put(key.name, encodeKey(key, value));
}

/** Creates `key` only when it does not exist yet; `true` when this call created it. */
export function createKey<T>(coordinator: Coordinator, key: ClusterKey<T>, value: T): Promise<boolean> {
  return coordinator.cas(key.name, encodeKey(key, value), null);
}

export function deleteKey<T>(coordinator: Coordinator, key: ClusterKey<T>): Promise<void> {
  return coordinator.delete(key.name);
}
