import { z } from 'zod';

/** Where the source stood in its replication stream when the backup was consistent. */
export const replicationPositionSchema = z.object({
  /** GTID set (MariaDB `gtid_binlog_pos` form, e.g. `0-1-42`), when the source uses GTIDs. */
  gtid: z.string().nullable(),
  binlogFile: z.string().nullable(),
  binlogOffset: z.number().int().nonnegative().nullable(),
});

export type ReplicationPosition = z.output<typeof replicationPositionSchema>;

/**
 * `manifest.json`, written last: a backup exists exactly when its manifest does. Everything a
 * restore needs to find, check, decrypt and unpack the data object is here, and nothing secret.
 */
export const manifestSchema = z.object({
  version: z.literal(1),
  id: z.string(),
  cluster: z.string(),
  /** Which recipe's data this is (`mysql`, `directory`). */
  recipe: z.string(),
  /** Source kind (`mysql-physical`, `mysql-logical`, `directory`). */
  source: z.string(),
  /**
   * Stream format before compression: `xbstream`, `sql` or `tar`; or `chunks` for a snapshot, whose
   * data object is the index of a deduplicated chunk store (see `backup/snapshots/`).
   */
  format: z.enum(['xbstream', 'sql', 'tar', 'chunks']),
  flavor: z.string().nullable(),
  serverVersion: z.string().nullable(),
  /** Member that took the backup. */
  member: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** Object name of the data inside the backup's directory. */
  dataObject: z.string(),
  /** Bytes the source produced, before compression (a snapshot: the bytes of every file). */
  rawBytes: z.number().int().nonnegative(),
  /** Bytes stored, after compression and encryption (a snapshot: new chunks plus the index). */
  storedBytes: z.number().int().nonnegative(),
  /** SHA-256 (hex) of the stored data object (a snapshot: of the stored index object). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  compression: z.object({ algorithm: z.literal('zstd'), level: z.number().int() }),
  encryption: z
    .object({
      /** `aes-256-gcm-chunked`: the streaming framing of encryption.ts; `aes-256-gcm-hkdf`: one sealed object per snapshot chunk. */
      algorithm: z.enum(['aes-256-gcm-chunked', 'aes-256-gcm-hkdf']),
      keyName: z.string(),
      chunkBytes: z.number().int().positive(),
    })
    .nullable(),
  position: replicationPositionSchema.nullable(),
  /** Snapshots only: the snapshot whose index this one reused for unchanged files. */
  parent: z.string().optional(),
  /** Snapshots only: entries in the index (files, directories, links). */
  files: z.number().int().nonnegative().optional(),
  /** Snapshots only: chunks this snapshot uploaded. */
  chunksNew: z.number().int().nonnegative().optional(),
  /** Snapshots only: chunks it referenced that were already stored. */
  chunksReused: z.number().int().nonnegative().optional(),
  /** Snapshots only: file bytes not uploaded because their chunks were already stored. */
  dedupBytes: z.number().int().nonnegative().optional(),
});

export type Manifest = z.output<typeof manifestSchema>;

/** Parses a stored manifest; `null` when it is not valid JSON or not a manifest of this version. */
export function parseManifest(text: string): Manifest | null {
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
