import { readlink, lstat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { PilotfishError, describeError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { Catalog } from '../catalog.js';
import type { EncryptionKey } from '../create-backup.js';
import { MANIFEST_NAME, backupKey, newBackupId } from '../layout.js';
import type { Manifest } from '../manifest.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { CHUNKING } from './chunker.js';
import { ChunkUploader, listChunkIds } from './chunk-uploader.js';
import { getIndex, putIndex } from './index-object.js';
import { indexObjectName } from './layout.js';
import { readFileConsistently, sameFileState } from './read-file.js';
import type { FileEntry, IndexEntry, SnapshotIndex } from './snapshot-index.js';
import { snapshotKeys, type SnapshotKeys } from './snapshot-keys.js';
import { mapLimit } from './map-limit.js';
import { STAT_CONCURRENCY, type WalkEntry, walkDirectory } from './walk.js';
import { SNAPSHOT_ZSTD_LEVEL, loadZstd } from './zstd-wasm.js';

export const SNAPSHOT_ENCRYPTION_ALGORITHM = 'aes-256-gcm-hkdf';

/**
 * A file whose mtime or ctime lies this close to the parent snapshot's start may have changed
 * again within the same timestamp tick after the parent read it, so it is read again.
 */
const RACY_WINDOW_NS = 2_000_000_000n;

export interface CreateSnapshotOptions {
  store: ObjectStore;
  prefix: string;
  cluster: string;
  /** The directory to snapshot. */
  sourceDir: string;
  encryption?: EncryptionKey;
  /** Member taking the snapshot, recorded in the manifest. */
  member: string;
  /** Recipe recorded in the manifest; `directory` by default. */
  recipe?: string;
  /**
   * Snapshot whose index lets unchanged files be skipped without reading them: a backup id,
   * `latest` (the default: the cluster's newest snapshot), or `null` to read every file.
   */
  parent?: string | null;
  /** Extra reads of a file that changed while it was read before BACKUP_INCONSISTENT; default 3. */
  retries?: number;
  /** Chunk uploads at once; default 4. */
  concurrency?: number;
  /** zstd level for chunks and the index; default 3. */
  compressionLevel?: number;
  logger: Logger;
  signal?: AbortSignal;
  now?: () => Date;
}

interface Parent {
  manifest: Manifest;
  files: Map<string, FileEntry>;
  racyFromNs: bigint;
}

async function loadParent(options: CreateSnapshotOptions, keys: SnapshotKeys, logger: Logger): Promise<Parent | null> {
  const wanted = options.parent === undefined ? 'latest' : options.parent;
  if (wanted === null) return null;
  const catalog = new Catalog(options.store, options.prefix, options.cluster, options.logger);
  const manifest =
    wanted === 'latest' ? ((await catalog.list(options.signal)).filter((m) => m.format === 'chunks').at(-1) ?? null) : await catalog.get(wanted, options.signal);
  if (!manifest || manifest.format !== 'chunks') {
    if (wanted !== 'latest') logger.warn({ parent: wanted }, 'parent snapshot not found; reading every file');
    return null;
  }
  if (Boolean(manifest.encryption) !== Boolean(keys.sealKey)) {
    logger.info({ parent: manifest.id }, 'parent snapshot is encrypted differently; reading every file');
    return null;
  }
  try {
    const index = await getIndex(options.store, options.prefix, manifest, keys, options.signal);
    if (index.chunkIds !== keys.idScheme) return null;
    const files = new Map<string, FileEntry>();
    for (const entry of index.entries) if (entry.type === 'file') files.set(entry.path, entry);
    return { manifest, files, racyFromNs: BigInt(Date.parse(manifest.startedAt)) * 1_000_000n - RACY_WINDOW_NS };
  } catch (err) {
    logger.warn({ parent: manifest.id, err: describeError(err) }, 'parent snapshot index unusable; reading every file');
    return null;
  }
}

/** The parent's entry for this file when its metadata shows the content cannot have changed. */
function unchangedInParent(parent: Parent | null, entry: WalkEntry): FileEntry | null {
  const previous = parent?.files.get(entry.path);
  if (!previous || !parent) return null;
  const { stat } = entry;
  const same =
    previous.size === Number(stat.size) &&
    previous.mtimeNs === stat.mtimeNs.toString() &&
    previous.ctimeNs === stat.ctimeNs.toString() &&
    previous.ino === stat.ino.toString();
  return same && stat.ctimeNs < parent.racyFromNs && stat.mtimeNs < parent.racyFromNs ? previous : null;
}

function metadata(entry: WalkEntry) {
  const { stat } = entry;
  return { path: entry.path, mode: Number(stat.mode & 0o7777n), uid: Number(stat.uid), gid: Number(stat.gid), mtimeNs: stat.mtimeNs.toString() };
}

function fileEntry(entry: WalkEntry, chunks: FileEntry['chunks']): FileEntry {
  const { stat } = entry;
  return { type: 'file', ...metadata(entry), ctimeNs: stat.ctimeNs.toString(), ino: stat.ino.toString(), size: Number(stat.size), chunks };
}

/**
 * Takes an incremental snapshot of a directory: walk, cut changed files into FastCDC chunks,
 * upload the chunks the store does not hold yet (compressed, optionally encrypted), then the
 * index, then the manifest. Files whose inode, size, mtime and ctime match the parent snapshot's
 * entry are not read again. A file that keeps changing while it is read fails the snapshot with
 * BACKUP_INCONSISTENT; on any failure no manifest is written and the index object is removed
 * (chunks already uploaded stay for the next snapshot, or for `pruneChunks` after its grace).
 * Errors: BACKUP_INCONSISTENT, BACKUP_FAILED, OBJECT_STORE_UNAVAILABLE.
 */
export async function createSnapshot(options: CreateSnapshotOptions): Promise<Manifest> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const id = newBackupId(started);
  const logger = options.logger.child({ component: 'snapshot', backupId: id });
  const keys = snapshotKeys(options.encryption);
  const level = options.compressionLevel ?? SNAPSHOT_ZSTD_LEVEL;
  const retries = options.retries ?? 3;
  const dataObject = indexObjectName(Boolean(options.encryption));
  const indexKey = backupKey(options.prefix, options.cluster, id, dataObject);
  let indexWritten = false;
  let uploader: ChunkUploader | null = null;
  logger.info({ sourceDir: options.sourceDir }, 'snapshot started');
  try {
    const root = await lstat(options.sourceDir).catch(() => null);
    if (!root?.isDirectory()) {
      throw new PilotfishError('BACKUP_FAILED', `snapshot source ${options.sourceDir} is not a directory; check the recipe's dataDir`);
    }
    await loadZstd();
    // Independent reads of the store and the directory: run them at once.
    const [parent, chunks, walked] = await Promise.all([
      loadParent(options, keys, logger),
      ChunkUploader.open({ ...options, keys, level, concurrency: options.concurrency ?? 4 }),
      walkDirectory(options.sourceDir, logger, options.signal),
    ]);
    uploader = chunks;
    const entries: IndexEntry[] = [];
    const skipped: Array<{ at: number; walk: WalkEntry }> = [];
    let rawBytes = 0;
    let skippedChunks = 0;
    let skippedBytes = 0;
    let filesRead = 0;
    let filesSkipped = 0;
    const read = async (walk: WalkEntry): Promise<FileEntry | null> => {
      filesRead++;
      const result = await readFileConsistently({ ...walk, first: walk.stat, retries, logger, signal: options.signal, onChunk: (chunk) => chunks.add(chunk) });
      return result ? fileEntry({ ...walk, stat: result.stat }, result.chunks) : null;
    };
    for (const walk of walked) {
      options.signal?.throwIfAborted();
      if (walk.type === 'dir') entries.push({ type: 'dir', ...metadata(walk) });
      else if (walk.type === 'symlink') {
        const target = await readlink(walk.abs).catch(() => null);
        if (target !== null) entries.push({ type: 'symlink', ...metadata(walk), target });
      } else {
        const previous = unchangedInParent(parent, walk);
        if (previous) {
          skipped.push({ at: entries.length, walk });
          entries.push(fileEntry(walk, previous.chunks));
        } else {
          const entry = await read(walk);
          if (entry) entries.push(entry);
        }
      }
    }
    // A skipped file must still be the file the walk saw; one that changed since is read now.
    const gone = new Set<number>();
    const recheck = await mapLimit(skipped, STAT_CONCURRENCY, ({ walk }) => lstat(walk.abs, { bigint: true }).catch(() => null));
    for (const [i, { at, walk }] of skipped.entries()) {
      const current = recheck[i] ?? null;
      if (current && sameFileState(current, walk.stat)) {
        const entry = entries[at] as FileEntry;
        filesSkipped++;
        skippedChunks += entry.chunks.length;
        skippedBytes += entry.size;
        continue;
      }
      const entry = current?.isFile() ? await read({ ...walk, stat: current }) : null;
      if (entry) entries[at] = entry;
      else gone.add(at);
    }
    const finalEntries = gone.size ? entries.filter((_, i) => !gone.has(i)) : entries;
    await chunks.drain();
    const stored = await listChunkIds(options.store, options.prefix, options.cluster, options.signal);
    for (const entry of finalEntries) {
      if (entry.type !== 'file') continue;
      rawBytes += entry.size;
      const missing = entry.chunks.find(([chunk]) => !stored.has(chunk));
      if (missing) {
        throw new PilotfishError(
          'BACKUP_FAILED',
          `snapshot ${id}: chunk ${missing[0]} of ${entry.path} vanished from the store during the snapshot (a concurrent pruneChunks?); take the snapshot again`,
        );
      }
    }
    const index: SnapshotIndex = {
      version: 1,
      id,
      chunking: { ...CHUNKING },
      compression: { algorithm: 'zstd', level },
      chunkIds: keys.idScheme,
      entries: finalEntries,
    };
    indexWritten = true;
    const written = await putIndex(options.store, indexKey, index, keys, level, options.signal);
    const stats = chunks.stats;
    const manifest: Manifest = {
      version: 1,
      id,
      cluster: options.cluster,
      recipe: options.recipe ?? 'directory',
      source: 'directory-snapshot',
      format: 'chunks',
      flavor: null,
      serverVersion: null,
      member: options.member,
      startedAt: started.toISOString(),
      finishedAt: now().toISOString(),
      dataObject,
      rawBytes,
      storedBytes: stats.storedBytes + written.bytes,
      sha256: written.sha256,
      compression: { algorithm: 'zstd', level },
      encryption: options.encryption
        ? { algorithm: SNAPSHOT_ENCRYPTION_ALGORITHM, keyName: options.encryption.keyName, chunkBytes: CHUNKING.maxBytes }
        : null,
      position: null,
      ...(parent ? { parent: parent.manifest.id } : {}),
      files: finalEntries.length,
      chunksNew: stats.chunksNew,
      chunksReused: stats.chunksReused + skippedChunks,
      dedupBytes: stats.dedupBytes + skippedBytes,
    };
    const body = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    await options.store.put(backupKey(options.prefix, options.cluster, id, MANIFEST_NAME), Readable.from([body]), {
      size: body.length,
      contentType: 'application/json',
      signal: options.signal,
    });
    logger.info(
      { rawBytes, storedBytes: manifest.storedBytes, files: manifest.files, filesRead, filesSkipped, chunksNew: manifest.chunksNew, chunksReused: manifest.chunksReused, parent: manifest.parent ?? null },
      'snapshot finished',
    );
    return manifest;
  } catch (err) {
    // Let running uploads settle, so nothing is written after the failure is reported.
    await uploader?.drain().catch(() => undefined);
    if (indexWritten) await options.store.delete(indexKey).catch(() => undefined);
    logger.warn({ err: describeError(err) }, 'snapshot failed; no manifest written');
    if (err instanceof PilotfishError) throw err;
    throw new PilotfishError('BACKUP_FAILED', `snapshot ${id} of ${options.sourceDir} failed: ${describeError(err)}`, { cause: err, details: { id } });
  }
}
