import { applyRetention } from '../../backup/retention.js';
import { Catalog } from '../../backup/catalog.js';
import { createBackup, type EncryptionKey } from '../../backup/create-backup.js';
import { restoreBackup } from '../../backup/restore.js';
import { pruneChunks } from '../../backup/snapshots/prune-chunks.js';
import type { BackupConfig } from '../../backup/config.js';
import type { ObjectStore } from '../../backup/object-store/object-store.js';
import type { Logger } from '../../common/logger.js';
import type { Recipe, RestoreFn } from '../../recipes/recipe.js';
import type { LatestBackup } from '../cluster-keys.js';

/** Where a cluster's backups live and how they are written. */
export interface BackupTarget {
  store: ObjectStore;
  prefix: string;
  cluster: string;
  config: BackupConfig;
  encryption?: EncryptionKey;
  logger: Logger;
}

/**
 * Takes one backup of `recipe` through the pipeline (the manifest lands last), calls `recorded`
 * with what `backups/latest` gets as soon as the manifest is in the store, then applies retention
 * (which never deletes the newest backup) and, for snapshots, prunes unreferenced chunks. The
 * cluster learns of a backup before the housekeeping runs: a member that takes over in between
 * must already start on it.
 */
export async function takeBackup(
  target: BackupTarget,
  recipe: Recipe,
  member: string,
  signal: AbortSignal,
  recorded: (latest: LatestBackup) => Promise<void> = async () => undefined,
): Promise<LatestBackup> {
  const started = Date.now();
  const manifest = await createBackup({
    store: target.store,
    prefix: target.prefix,
    cluster: target.cluster,
    source: recipe.backupSource(),
    compressionLevel: target.config.compression.level,
    encryption: target.encryption,
    member,
    logger: target.logger,
    signal,
  });
  const latest: LatestBackup = {
    id: manifest.id,
    position: recipe.backupPosition(manifest),
    at: manifest.finishedAt,
    member,
    bytes: manifest.storedBytes,
    ...(manifest.dedupBytes !== undefined ? { dedupBytes: manifest.dedupBytes } : {}),
    durationMs: Date.now() - started,
  };
  await recorded(latest);
  const { retention } = target.config;
  await applyRetention({
    store: target.store,
    catalog: new Catalog(target.store, target.prefix, target.cluster, target.logger),
    policy: { keepLast: retention.keepLast, keepWithinMs: retention.keepWithin, orphanGraceMs: retention.orphanGrace },
    logger: target.logger,
    signal,
  }).catch((err: unknown) => target.logger.warn({ err: (err as Error).message }, 'retention failed; will try after the next backup'));
  // Snapshot chunks no retained backup needs go too; under the backup lock, so no snapshot of this
  // cluster is being taken (chunks younger than the grace period are kept regardless).
  if (manifest.format === 'chunks') {
    await pruneChunks({ store: target.store, prefix: target.prefix, cluster: target.cluster, encryption: target.encryption, graceMs: retention.orphanGrace, logger: target.logger, signal })
      .catch((err: unknown) => target.logger.warn({ err: (err as Error).message }, 'chunk prune failed; will try after the next backup'));
  }
  return latest;
}

/**
 * A restore function for the recipe that fetches backup `id` (or `latest`) from the store and
 * runs the recipe's `prepare` step on the unpacked copy.
 */
export function restoreFrom(target: BackupTarget, id: string, recipe: Pick<Recipe, 'prepareRestored' | 'backupPosition'>): RestoreFn {
  return async (targetDir, signal, options) => {
    const result = await restoreBackup({
      ...(options?.replace ? { force: true, reuseTarget: true } : {}),
      store: target.store,
      prefix: target.prefix,
      cluster: target.cluster,
      id,
      targetDir,
      encryption: target.encryption,
      prepare: recipe.prepareRestored,
      logger: target.logger,
      signal,
    });
    return { position: recipe.backupPosition(result.manifest), previousDir: result.previousDir };
  };
}

/** The newest backup in the store itself (the catalog), which `backups/latest` may not name yet. */
export async function newestInStore(target: BackupTarget, recipe: Pick<Recipe, 'backupPosition'>): Promise<{ id: string; position: string } | null> {
  const manifest = await new Catalog(target.store, target.prefix, target.cluster, target.logger).latest();
  return manifest ? { id: manifest.id, position: recipe.backupPosition(manifest) } : null;
}
