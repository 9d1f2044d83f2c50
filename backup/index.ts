/**
 * # Backups
 *
 * Streaming, compressed, optionally encrypted, checksummed backups in an object store, with a
 * catalog, retention and a verified restore. Recipe-agnostic: a recipe brings its own
 * `BackupSource` and, for restores, its prepare step (`RestoreOptions.prepare`); the pipeline
 * knows only stream formats (tar, xbstream, sql).
 *
 * ```
 * createBackup:  source ─▶ zstd -T0 ─▶ [AES-256-GCM chunks] ─▶ SHA-256 ─▶ ObjectStore.put ─▶ manifest.json
 * restoreBackup: ObjectStore.get ─▶ SHA-256 ─▶ [decrypt] ─▶ zstd -d ─▶ mbstream -x | tar -x ─▶ prepare ─▶ rename
 * ```
 *
 * Layout: `<prefix>/<cluster>/backups/<id>/{data.<format>.zst[.aes], manifest.json}`; ids start
 * with a UTC timestamp, so they sort by age. The manifest is written last: an id without one is an
 * orphan, never listed or restored, and removed by retention after a grace period.
 *
 * Use from the supervisor:
 * ```ts
 * const store = await createObjectStore(config.objectStore);
 * const manifest = await createBackup({ store, prefix, cluster, member, logger, compressionLevel: 3,
 *   source: recipe.backupSource(), encryption: await loadEncryptionKey(secrets, 'backup-key') });
 * const { position } = await restoreBackup({ store, prefix, cluster, id: 'latest', targetDir, logger,
 *   encryption, prepare: recipe.prepareRestored });
 * await applyRetention({ store, catalog: new Catalog(store, prefix, cluster), policy, logger });
 * ```
 *
 * Snapshots (`createSnapshot`, `restoreSnapshot`, `pruneChunks`) back up a directory
 * incrementally instead: FastCDC chunks in `<prefix>/<cluster>/chunks/`, an index per snapshot, and
 * the same manifest and catalog (`format: 'chunks'`); see backup/README.md § Snapshots.
 *
 * Guarantees: memory is bounded by stream buffers plus the S3 upload parts (`partSizeMb` ×
 * `queueSize`); a failed backup leaves no manifest and aborts the multipart upload; a failed
 * restore leaves the target as it was; `force` moves an existing target aside, never deletes it.
 */

export { Catalog, type Orphan } from './catalog.js';
export { createBackup, type BackupProgress, type CreateBackupOptions, type EncryptionKey } from './create-backup.js';
export { loadEncryptionKey } from './encryption-key.js';
export { backupsPrefix, isBackupId } from './layout.js';
export type { Manifest, ReplicationPosition } from './manifest.js';
export { createObjectStore } from './object-store/factory.js';
export type { ObjectInfo, ObjectStore } from './object-store/object-store.js';
export { restoreBackup, type RestoreOptions, type RestorePrepare, type RestoreResult } from './restore.js';
export { CHUNKING, type ChunkingParameters } from './snapshots/chunker.js';
export { createSnapshot, type CreateSnapshotOptions } from './snapshots/create-snapshot.js';
export { pruneChunks, type PruneChunksOptions, type PruneResult } from './snapshots/prune-chunks.js';
export { restoreSnapshot, type RestoreSnapshotOptions } from './snapshots/restore-snapshot.js';
export type { IndexEntry, SnapshotIndex } from './snapshots/snapshot-index.js';
export { applyRetention, planRetention, type RetentionPlan, type RetentionPolicy } from './retention.js';
export type { BackupSource, SourceResult, SourceRun } from './source.js';
export { DirectorySource } from './sources/directory.js';
