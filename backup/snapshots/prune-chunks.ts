import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { Catalog } from '../catalog.js';
import type { EncryptionKey } from '../create-backup.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { getIndex } from './index-object.js';
import { chunksPrefix, parseChunkKey } from './layout.js';
import { snapshotKeys } from './snapshot-keys.js';
import { loadZstd } from './zstd-wasm.js';

export interface PruneChunksOptions {
  store: ObjectStore;
  prefix: string;
  cluster: string;
  /** Needed when any snapshot of the cluster is encrypted: its index names the chunks it uses. */
  encryption?: EncryptionKey;
  /**
   * Only chunks older than this are deleted: a snapshot in progress has uploaded chunks but no
   * manifest yet. Make it longer than the longest snapshot.
   */
  graceMs: number;
  /** Report what would be deleted, delete nothing. */
  dryRun?: boolean;
  logger: Logger;
  signal?: AbortSignal;
  now?: () => Date;
}

export interface PruneResult {
  /** Chunks at least one snapshot in the catalog references. */
  referenced: number;
  /** Unreferenced chunks kept because they are younger than the grace period. */
  young: number;
  deleted: number;
  deletedBytes: number;
}

/**
 * Deletes the chunks no snapshot in the catalog references, once they are older than `graceMs`.
 * Every snapshot index is read first; if any cannot be read (damaged, another key, no key), the
 * prune stops with that error and deletes nothing, since it cannot know what that snapshot
 * needs. Run it after `applyRetention`, and under the same lock as snapshots (`backups/lock`):
 * a snapshot that started before the prune may reuse an old unreferenced chunk the prune deletes,
 * which `createSnapshot` then detects before writing its manifest.
 */
export async function pruneChunks(options: PruneChunksOptions): Promise<PruneResult> {
  const logger = options.logger.child({ component: 'prune' });
  const keys = snapshotKeys(options.encryption);
  await loadZstd();
  const catalog = new Catalog(options.store, options.prefix, options.cluster, options.logger);
  const referenced = new Set<string>();
  for (const manifest of await catalog.list(options.signal)) {
    if (manifest.format !== 'chunks') continue;
    const index = await getIndex(options.store, options.prefix, manifest, keys, options.signal);
    for (const entry of index.entries) if (entry.type === 'file') for (const [id] of entry.chunks) referenced.add(id);
  }
  const base = chunksPrefix(options.prefix, options.cluster);
  const nowMs = (options.now ?? (() => new Date()))().getTime();
  const result: PruneResult = { referenced: referenced.size, young: 0, deleted: 0, deletedBytes: 0 };
  for (const object of await options.store.list(base, options.signal)) {
    const id = parseChunkKey(base, object.key);
    if (!id || referenced.has(id)) continue;
    if (nowMs - object.lastModified.getTime() <= options.graceMs) {
      result.young++;
      continue;
    }
    if (options.dryRun) {
      result.deleted++;
      result.deletedBytes += object.size;
      continue;
    }
    try {
      await options.store.delete(object.key, options.signal);
      result.deleted++;
      result.deletedBytes += object.size;
    } catch (err) {
      logger.warn({ chunk: id, err: describeError(err) }, 'could not delete an unreferenced chunk; retrying next run');
    }
  }
  logger.info({ ...result, dryRun: Boolean(options.dryRun) }, 'chunk prune finished');
  return result;
}
