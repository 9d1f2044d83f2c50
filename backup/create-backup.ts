import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PilotfishError, describeError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { DEFAULT_CHUNK_BYTES, ENCRYPTION_ALGORITHM, createEncryptStream } from './encryption.js';
import { MANIFEST_NAME, backupKey, newBackupId } from './layout.js';
import type { Manifest } from './manifest.js';
import type { ObjectStore } from './object-store/object-store.js';
import { isSnapshotSource, type BackupSource, type SnapshotSource } from './source.js';
import { createSnapshot } from './snapshots/create-snapshot.js';
import { sha256Meter } from './stream-tools.js';
import { zstdCompress } from './zstd.js';

/** A 32-byte AES key and the SecretStore name it came from (the name goes into the manifest). */
export interface EncryptionKey {
  keyName: string;
  key: Buffer;
}

/** Progress of a long transfer; `totalBytes` when the size is known in advance. */
export interface BackupProgress {
  phase: 'upload' | 'download' | 'unpack' | 'prepare';
  bytes: number;
  totalBytes?: number;
}

export interface CreateBackupOptions {
  store: ObjectStore;
  /** Key prefix inside the store (`objectStore.prefix`). */
  prefix: string;
  cluster: string;
  /** A stream source, or a directory taken as an incremental snapshot. */
  source: BackupSource | SnapshotSource;
  /** zstd level, 1–19. */
  compressionLevel: number;
  encryption?: EncryptionKey;
  /** Name of the member taking the backup, recorded in the manifest. */
  member: string;
  logger: Logger;
  signal?: AbortSignal;
  /** Called for every chunk uploaded (stored bytes); keep it cheap. */
  onProgress?: (progress: BackupProgress) => void;
  /** Injected clock for ids and timestamps. */
  now?: () => Date;
}

/**
 * Takes one backup: source → zstd → optional encryption → SHA-256 → upload, then the manifest.
 * The source writes straight into zstd's stdin; only compressed bytes pass through Node.
 * Memory stays bounded (stream buffers plus the store's upload parts). On any failure or abort
 * the producer is stopped, no manifest is written, and the data object is removed (a partial
 * upload is never visible on S3; a leftover object would be an orphan that retention removes).
 * Throws PilotfishError `BACKUP_FAILED` (or `OBJECT_STORE_UNAVAILABLE`).
 */
export async function createBackup(options: CreateBackupOptions): Promise<Manifest> {
  if (isSnapshotSource(options.source)) return snapshotBackup({ ...options, source: options.source });
  return streamBackup({ ...options, source: options.source });
}

/** A snapshot source: its directory through `createSnapshot`, which writes the manifest last as a stream backup does. */
async function snapshotBackup(options: CreateBackupOptions & { source: SnapshotSource }): Promise<Manifest> {
  const { source } = options;
  let recorded = false;
  try {
    const sourceDir = await source.prepare(options.signal ?? new AbortController().signal);
    const manifest = await createSnapshot({
      store: options.store,
      prefix: options.prefix,
      cluster: options.cluster,
      sourceDir,
      member: options.member,
      recipe: source.recipe,
      encryption: options.encryption,
      compressionLevel: options.compressionLevel,
      logger: options.logger,
      signal: options.signal,
      now: options.now,
    });
    recorded = true;
    return manifest;
  } finally {
    source.finished?.(recorded);
  }
}

async function streamBackup(options: CreateBackupOptions & { source: BackupSource }): Promise<Manifest> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const id = newBackupId(started);
  const logger = options.logger.child({ component: 'backup', backupId: id });
  const dataObject = `data.${options.source.format}.zst${options.encryption ? '.aes' : ''}`;
  const dataKey = backupKey(options.prefix, options.cluster, id, dataObject);
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  logger.info({ source: options.source.kind, key: dataKey }, 'backup started');
  try {
    const zstd = zstdCompress(options.compressionLevel, { signal: abort.signal });
    const run = await options.source.open({ signal: abort.signal, logger, output: zstd.stdin });
    run.result.catch(() => undefined); // observed below; avoids an unhandled rejection while streaming
    zstd.done.catch(() => undefined);
    const stored = sha256Meter((bytes) => options.onProgress?.({ phase: 'upload', bytes }));
    const body = new PassThrough({ highWaterMark: 1 << 20 });
    const stages: NodeJS.ReadWriteStream[] = options.encryption ? [createEncryptStream(options.encryption.key)] : [];
    const uploading = options.store.put(dataKey, body, { signal: abort.signal, contentType: 'application/octet-stream' });
    uploading.catch(() => abort.abort());
    await Promise.all([
      pipeline([zstd.stdout, ...stages, stored, body] as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream], { signal: abort.signal }),
      uploading,
      run.result,
      zstd.done,
    ]);
    const { inputBytes: rawBytes } = await zstd.done;
    const facts = await run.result;
    const manifest: Manifest = {
      version: 1,
      id,
      cluster: options.cluster,
      recipe: options.source.recipe,
      source: options.source.kind,
      format: options.source.format,
      flavor: facts.flavor,
      serverVersion: facts.serverVersion,
      member: options.member,
      startedAt: started.toISOString(),
      finishedAt: now().toISOString(),
      dataObject,
      rawBytes,
      storedBytes: stored.bytes(),
      sha256: stored.digest(),
      compression: { algorithm: 'zstd', level: options.compressionLevel },
      encryption: options.encryption
        ? { algorithm: ENCRYPTION_ALGORITHM, keyName: options.encryption.keyName, chunkBytes: DEFAULT_CHUNK_BYTES }
        : null,
      position: facts.position,
    };
    const manifestBody = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    await options.store.put(backupKey(options.prefix, options.cluster, id, MANIFEST_NAME), Readable.from([manifestBody]), {
      size: manifestBody.length,
      contentType: 'application/json',
      signal: options.signal,
    });
    logger.info({ rawBytes: manifest.rawBytes, storedBytes: manifest.storedBytes, position: manifest.position }, 'backup finished');
    return manifest;
  } catch (err) {
    abort.abort();
    await options.store.delete(dataKey).catch(() => undefined);
    logger.warn({ err: describeError(err) }, 'backup failed');
    if (err instanceof PilotfishError) throw err;
    throw new PilotfishError('BACKUP_FAILED', `backup ${id} failed: ${describeError(err)}`, { cause: err, details: { id } });
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}
