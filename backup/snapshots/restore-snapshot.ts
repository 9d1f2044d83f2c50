import { chmod, chown, lchown, lutimes, mkdir, mkdtemp, open, rm, symlink, utimes } from 'node:fs/promises';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { PilotfishError, describeError, isPilotfishError } from '../../common/errors.js';
import { Catalog } from '../catalog.js';
import type { Manifest } from '../manifest.js';
import type { RestoreOptions, RestoreResult } from '../restore.js';
import { swapIntoPlace, targetState } from '../restore-target.js';
import { getIndex, keysFor } from './index-object.js';
import { chunkKey } from './layout.js';
import { UnsealError, unseal } from './sealed-object.js';
import type { ChunkRef, FileEntry, IndexEntry } from './snapshot-index.js';
import { type SnapshotKeys, chunkId, snapshotKeys } from './snapshot-keys.js';
import { copyIfSame } from './warm-copy.js';
import { loadZstd } from './zstd-wasm.js';

/** What `restoreSnapshot` takes: `restoreBackup`'s options; `id` may be `latest` only when the newest backup is a snapshot. */
export type RestoreSnapshotOptions = Omit<RestoreOptions, 'tools'>;

function refused(what: string): PilotfishError {
  return new PilotfishError('RESTORE_FAILED', `the snapshot holds ${what}; restore another backup`);
}

/**
 * Refuses an index that could write outside the target: absolute or `..` paths, entries whose
 * parent is not a directory of the snapshot (so nothing is written through a symlink), duplicate
 * paths, and links whose target leads outside the restored tree.
 */
export function assertIndexContained(entries: readonly IndexEntry[]): void {
  const dirs = new Set<string>();
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.path)) throw refused(`the path ${JSON.stringify(entry.path)} twice`);
    seen.add(entry.path);
    if (entry.path === '.') {
      if (entry.type !== 'dir') throw refused('a root that is not a directory');
      dirs.add('.');
      continue;
    }
    const parts = entry.path.split('/');
    if (entry.path.includes('\0') || parts.some((part) => part === '' || part === '.' || part === '..')) {
      throw refused(`an unsafe path ${JSON.stringify(entry.path)}`);
    }
    if (!dirs.has(parts.slice(0, -1).join('/') || '.')) throw refused(`an entry outside any directory of the snapshot: ${entry.path}`);
    if (entry.type === 'dir') dirs.add(entry.path);
    if (entry.type === 'symlink') {
      const resolved = posix.resolve('/root', posix.dirname(entry.path), entry.target);
      if (posix.isAbsolute(entry.target) || (resolved !== '/root' && !resolved.startsWith('/root/'))) {
        throw new PilotfishError('RESTORE_FAILED', `the snapshot holds a link leading outside the target: ${entry.path}`);
      }
    }
  }
}

/** Yields `fetch(ref)` for every ref in order, with up to `concurrency` fetches running ahead. */
async function* fetchAhead(refs: Iterable<ChunkRef>, concurrency: number, fetch: (ref: ChunkRef) => Promise<Buffer>): AsyncGenerator<Buffer> {
  const iterator = refs[Symbol.iterator]();
  const queue: Array<Promise<Buffer>> = [];
  const fill = () => {
    while (queue.length < concurrency) {
      const next = iterator.next();
      if (next.done) return;
      const pending = fetch(next.value);
      pending.catch(() => undefined); // observed when its turn comes
      queue.push(pending);
    }
  };
  fill();
  while (queue.length > 0) {
    const chunk = await (queue.shift() as Promise<Buffer>);
    fill();
    yield chunk;
  }
}

function* chunkRefs(files: readonly FileEntry[]): Generator<ChunkRef> {
  for (const file of files) yield* file.chunks;
}

/** Reads one chunk and proves it is the chunk its id names (id recomputed from the plaintext). */
async function fetchChunk(options: RestoreSnapshotOptions, manifest: Manifest, keys: SnapshotKeys, [id, bytes]: ChunkRef, signal: AbortSignal): Promise<Buffer> {
  const damaged = (what: string) =>
    new PilotfishError('BACKUP_CHECKSUM_MISMATCH', `backup ${manifest.id}: chunk ${id} ${what}; the backup is damaged, restore another one`, {
      details: { id: manifest.id, chunk: id },
    });
  const body = await options.store.get(chunkKey(options.prefix, options.cluster, id), signal);
  if (!body) throw damaged('is missing from the store');
  let plain: Buffer;
  try {
    plain = unseal(await buffer(body), keys, `chunk:${id}`, { expectedBytes: bytes, maxBytes: bytes });
  } catch (err) {
    if (!(err instanceof UnsealError)) throw err;
    if (err.reason === 'wrong-key') {
      throw new PilotfishError('BACKUP_DECRYPT_FAILED', `backup ${manifest.id}: chunk ${id} was encrypted with another key than ${keys.keyName ?? '(none)'}`);
    }
    throw damaged('cannot be decrypted or decompressed');
  }
  if (chunkId(keys, plain) !== id) throw damaged('does not match its id');
  return plain;
}

const seconds = (ns: string) => Number(BigInt(ns)) / 1e9;

/**
 * Writes every entry into `dir`: directories, links and files a warm copy already holds first,
 * then the remaining files from downloaded chunks; then metadata, deepest entries first.
 * Returns how many files came from the warm copy.
 */
async function writeTree(
  options: RestoreSnapshotOptions,
  manifest: Manifest,
  keys: SnapshotKeys,
  entries: readonly IndexEntry[],
  dir: string,
  warmDir: string | null,
  signal: AbortSignal,
): Promise<number> {
  const under = (root: string, path: string) => (path === '.' ? root : join(root, ...path.split('/')));
  const pathOf = (path: string) => under(dir, path);
  const download: FileEntry[] = [];
  for (const entry of entries) {
    signal.throwIfAborted();
    const path = pathOf(entry.path);
    if (entry.type === 'dir') {
      if (entry.path !== '.') await mkdir(path, { mode: 0o700 });
    } else if (entry.type === 'symlink') await symlink(entry.target, path);
    else if (!warmDir || !(await copyIfSame(under(warmDir, entry.path), path, entry, keys))) download.push(entry);
  }
  const chunks = fetchAhead(chunkRefs(download), options.concurrency ?? 4, (ref) => fetchChunk(options, manifest, keys, ref, signal));
  let bytes = 0;
  for (const entry of download) {
    signal.throwIfAborted();
    const handle = await open(pathOf(entry.path), 'wx', 0o600);
    try {
      for (let i = 0; i < entry.chunks.length; i++) {
        const next = await chunks.next();
        if (next.done) throw new PilotfishError('INTERNAL', 'chunk stream ended early');
        await handle.write(next.value);
        bytes += next.value.length;
        options.onProgress?.({ phase: 'download', bytes, totalBytes: manifest.rawBytes });
      }
    } finally {
      await handle.close();
    }
  }
  const asRoot = process.getuid?.() === 0;
  for (const entry of [...entries].reverse()) {
    const path = pathOf(entry.path);
    if (entry.type === 'symlink') {
      if (asRoot) await lchown(path, entry.uid, entry.gid);
      await lutimes(path, seconds(entry.mtimeNs), seconds(entry.mtimeNs));
      continue;
    }
    // chown first: it clears setuid and setgid bits that chmod then sets.
    if (asRoot) await chown(path, entry.uid, entry.gid);
    await chmod(path, entry.mode);
    await utimes(path, seconds(entry.mtimeNs), seconds(entry.mtimeNs));
  }
  return entries.filter((entry) => entry.type === 'file').length - download.length;
}

/**
 * Restores a snapshot into `targetDir`: read and check the index, refuse entries that lead
 * outside the target, write every file from verified chunks into a scratch directory next to the
 * target, apply modes, times (and owners when running as root), run the recipe's prepare step,
 * then rename into place. The target is only touched by the final renames; any failure removes
 * the scratch directory and nothing else. With `reuseTarget`, files the old target already holds
 * are copied from it rather than downloaded. Errors: BACKUP_NOT_FOUND, RESTORE_TARGET_NOT_EMPTY,
 * BACKUP_CHECKSUM_MISMATCH (naming the backup and chunk), BACKUP_DECRYPT_FAILED, RESTORE_FAILED.
 */
export async function restoreSnapshot(options: RestoreSnapshotOptions): Promise<RestoreResult> {
  const target = resolve(options.targetDir);
  if (options.reuseTarget && !options.force) {
    throw new PilotfishError('CONFIG_INVALID', 'restoreSnapshot: reuseTarget needs force, since the old target is moved aside');
  }
  const catalog = new Catalog(options.store, options.prefix, options.cluster, options.logger);
  const manifest = await catalog.get(options.id, options.signal);
  if (!manifest) {
    throw new PilotfishError('BACKUP_NOT_FOUND', `no backup ${options.id} in cluster ${options.cluster}; list them with: pilotfish backup list`);
  }
  if (manifest.format !== 'chunks') {
    throw new PilotfishError('RESTORE_FAILED', `backup ${manifest.id} is a ${manifest.format} backup, not a snapshot; restore it with restoreBackup`);
  }
  const logger = options.logger.child({ component: 'restore', backupId: manifest.id });
  if ((await targetState(target)) === 'occupied' && !options.force) {
    throw new PilotfishError('RESTORE_TARGET_NOT_EMPTY', `restore target ${target} is not empty; pass --force to move it aside`);
  }
  const keys = keysFor(manifest, snapshotKeys(options.encryption));
  await loadZstd();
  const index = await getIndex(options.store, options.prefix, manifest, keys, options.signal);
  assertIndexContained(index.entries);
  await mkdir(dirname(target), { recursive: true });
  const scratch = await mkdtemp(join(dirname(target), `.${basename(target)}.restore-`));
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  logger.info({ target, scratch, files: index.entries.length }, 'snapshot restore started');
  try {
    const warmDir = options.reuseTarget && (await targetState(target)) === 'occupied' ? target : null;
    const reusedFiles = await writeTree(options, manifest, keys, index.entries, scratch, warmDir, abort.signal);
    if (options.prepare) {
      options.onProgress?.({ phase: 'prepare', bytes: 0 });
      await options.prepare(scratch, manifest, abort.signal);
    }
    const previousDir = await swapIntoPlace(scratch, target, Boolean(options.force));
    logger.info({ target, previousDir, reusedFiles }, 'snapshot restore finished');
    return { manifest, position: manifest.position, targetDir: target, previousDir, reusedFiles };
  } catch (err) {
    abort.abort();
    await rm(scratch, { recursive: true, force: true });
    logger.warn({ err: describeError(err) }, 'snapshot restore failed; target left as it was');
    if (isPilotfishError(err)) throw err;
    throw new PilotfishError('RESTORE_FAILED', `restore of snapshot ${manifest.id} failed: ${describeError(err)}`, { cause: err });
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}
