import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PilotfishError, describeError, isPilotfishError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { Catalog } from './catalog.js';
import type { BackupProgress, EncryptionKey } from './create-backup.js';
import { DecryptError, createDecryptStream } from './encryption.js';
import { backupKey } from './layout.js';
import type { Manifest, ReplicationPosition } from './manifest.js';
import type { ObjectStore } from './object-store/object-store.js';
import { swapIntoPlace, targetState } from './restore-target.js';
import { restoreSnapshot } from './snapshots/restore-snapshot.js';
import { sha256Meter } from './stream-tools.js';
import { type ToolPaths, assertContained, startUnpacker } from './unpack.js';
import { zstdDecompress } from './zstd.js';

/** A recipe's step between unpack and rename; receives the scratch directory and the manifest. */
export type RestorePrepare = (dir: string, manifest: Manifest, signal: AbortSignal) => Promise<void>;

export interface RestoreOptions {
  store: ObjectStore;
  prefix: string;
  cluster: string;
  /** A backup id, or `latest`. */
  id: string;
  targetDir: string;
  /** Restore over a non-empty target; the old directory is renamed aside, never deleted. */
  force?: boolean;
  /** Needed when the backup is encrypted. */
  encryption?: EncryptionKey;
  /**
   * Makes the unpacked copy usable before it is moved into place (the recipe's step, e.g. applying
   * a copied redo log). Runs in the scratch directory, so a failure leaves the target untouched.
   */
  prepare?: RestorePrepare;
  /**
   * Snapshots: treat the occupied target as a warm copy, so files whose size and mtime match are
   * copied from it (and proven by their chunk ids) instead of downloaded. Needs `force`; the old
   * target is still moved aside, never changed. Stream backups ignore it.
   */
  reuseTarget?: boolean;
  /** Snapshots: chunk downloads at once; default 4. */
  concurrency?: number;
  logger: Logger;
  signal?: AbortSignal;
  onProgress?: (progress: BackupProgress) => void;
  /** Stream backups: paths of the unpacking tools. */
  tools?: ToolPaths;
}

export interface RestoreResult {
  manifest: Manifest;
  position: ReplicationPosition | null;
  targetDir: string;
  /** Where the previous contents of the target were moved (with `force`), else `null`. */
  previousDir: string | null;
  /** Snapshots restored with `reuseTarget`: files copied from the old target instead of downloaded. */
  reusedFiles?: number;
}

/** Re-reads the stored object end to end; used to tell corruption apart from other failures. */
async function storedChecksum(store: ObjectStore, key: string, signal?: AbortSignal): Promise<string | null> {
  const body = await store.get(key, signal);
  if (!body) return null;
  const meter = sha256Meter();
  await pipeline(body, meter, async function* (source) {
    for await (const _ of source) yield* [];
  });
  return meter.digest();
}

function checksumMismatch(manifest: Manifest, actual: string | null): PilotfishError {
  return new PilotfishError(
    'BACKUP_CHECKSUM_MISMATCH',
    `backup ${manifest.id}: stored data ${manifest.dataObject} ${actual === null ? 'is missing' : `has SHA-256 ${actual}, the manifest says ${manifest.sha256}`}; the backup is damaged, restore another one`,
    { details: { id: manifest.id } },
  );
}

/**
 * Restores a backup into `targetDir`: download → verify SHA-256 while streaming → decrypt →
 * decompress → unpack into a scratch directory next to the target → the recipe's prepare step →
 * rename into place. The target is only touched by the final renames, so any failure leaves it as
 * it was. Errors: BACKUP_NOT_FOUND, RESTORE_TARGET_NOT_EMPTY, BACKUP_CHECKSUM_MISMATCH (naming the
 * backup), BACKUP_DECRYPT_FAILED, RESTORE_FAILED. Snapshots (`format: 'chunks'`) go to
 * `restoreSnapshot`.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const target = resolve(options.targetDir);
  const catalog = new Catalog(options.store, options.prefix, options.cluster, options.logger);
  const manifest = await catalog.get(options.id, options.signal);
  if (!manifest) {
    throw new PilotfishError('BACKUP_NOT_FOUND', `no backup ${options.id} in cluster ${options.cluster}; list them with: pilotfish backup list`);
  }
  // A snapshot is a chunk index, not a stream: it has its own restore with the same guarantees.
  if (manifest.format === 'chunks') return restoreSnapshot({ ...options, id: manifest.id });
  const logger = options.logger.child({ component: 'restore', backupId: manifest.id });
  if ((await targetState(target)) === 'occupied' && !options.force) {
    throw new PilotfishError('RESTORE_TARGET_NOT_EMPTY', `restore target ${target} is not empty; pass --force to move it aside`);
  }
  if (manifest.encryption && !options.encryption) {
    throw new PilotfishError('BACKUP_DECRYPT_FAILED', `backup ${manifest.id} is encrypted with key ${manifest.encryption.keyName}; configure backup.encryption.keySecret`);
  }
  await mkdir(dirname(target), { recursive: true });
  const scratch = await mkdtemp(join(dirname(target), `.${basename(target)}.restore-`));
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  logger.info({ target, scratch }, 'restore started');
  try {
    await download(options, manifest, scratch, abort.signal);
    logger.debug({ scratch }, 'restore unpacked and verified');
    if (manifest.format === 'tar') await assertContained(scratch);
    if (options.prepare) {
      options.onProgress?.({ phase: 'prepare', bytes: 0 });
      await options.prepare(scratch, manifest, abort.signal);
      logger.debug({ scratch }, 'restore prepared');
    }
    const previousDir = await swapIntoPlace(scratch, target, Boolean(options.force));
    logger.info({ target, previousDir, position: manifest.position }, 'restore finished');
    return { manifest, position: manifest.position, targetDir: target, previousDir };
  } catch (err) {
    abort.abort();
    await rm(scratch, { recursive: true, force: true });
    logger.warn({ err: describeError(err) }, 'restore failed; target left as it was');
    if (isPilotfishError(err)) throw err;
    throw new PilotfishError('RESTORE_FAILED', `restore of backup ${manifest.id} failed: ${describeError(err)}`, { cause: err });
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}

async function download(options: RestoreOptions, manifest: Manifest, dir: string, signal: AbortSignal): Promise<void> {
  const key = backupKey(options.prefix, options.cluster, manifest.id, manifest.dataObject);
  const body = await options.store.get(key, signal);
  if (!body) throw checksumMismatch(manifest, null);
  const meter = sha256Meter((bytes) => options.onProgress?.({ phase: 'download', bytes, totalBytes: manifest.storedBytes }));
  const unpacker = startUnpacker(manifest.format, dir, signal, options.tools);
  unpacker.done.catch(() => undefined);
  // zstd writes straight into the unpacker (or the dump file): only stored bytes pass through Node.
  const zstd = zstdDecompress({ signal, outputTo: unpacker.input, outputFile: unpacker.file });
  zstd.done.catch(() => undefined);
  const stages: NodeJS.ReadWriteStream[] = [meter];
  if (manifest.encryption && options.encryption) stages.push(createDecryptStream(options.encryption.key));
  try {
    await Promise.all([
      pipeline([body, ...stages, zstd.stdin] as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream], { signal }),
      zstd.done,
      unpacker.done,
    ]);
  } catch (err) {
    // Damaged data makes decryption or zstd fail before the checksum is complete: read it all to say which.
    const actual = await storedChecksum(options.store, key, options.signal).catch(() => manifest.sha256);
    if (actual !== manifest.sha256) throw checksumMismatch(manifest, actual);
    if (err instanceof DecryptError) {
      const why = err.wrongKey
        ? `the key in secret ${options.encryption?.keyName} is not the key ${manifest.encryption?.keyName} the backup was encrypted with`
        : err.message;
      throw new PilotfishError('BACKUP_DECRYPT_FAILED', `backup ${manifest.id} could not be decrypted: ${why}`, { cause: err });
    }
    throw err;
  }
  if (meter.digest() !== manifest.sha256) throw checksumMismatch(manifest, meter.digest());
}
