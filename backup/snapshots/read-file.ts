import { constants, type BigIntStats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { PilotfishError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { chunkFile } from './chunker.js';
import type { ChunkRef } from './snapshot-index.js';

/** Same file, same content as far as metadata can tell: inode, size, mtime and ctime. */
export function sameFileState(a: BigIntStats, b: BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/**
 * Reads one file into chunks and proves it did not change while it was read: the lstat before,
 * the fstat of the open descriptor, the fstat after the last byte and a final lstat of the path
 * must all agree (inode, size, mtime, ctime), and the bytes read must equal the size. A file that
 * changed is read again, up to `retries` more times; then the snapshot fails with
 * BACKUP_INCONSISTENT naming the file. Returns `null` when the file disappeared (it is then not
 * part of the snapshot, as if the walk had run a moment later).
 */
export async function readFileConsistently(options: {
  path: string;
  abs: string;
  first: BigIntStats;
  retries: number;
  logger: Logger;
  onChunk: (chunk: Buffer) => Promise<ChunkRef>;
  signal?: AbortSignal;
}): Promise<{ stat: BigIntStats; chunks: ChunkRef[] } | null> {
  let before = options.first;
  for (let attempt = 0; attempt <= options.retries; attempt++) {
    if (attempt > 0) {
      options.logger.info({ path: options.path, attempt }, 'file changed while it was read; reading it again');
      const again = await lstat(options.abs, { bigint: true }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return null;
        throw err;
      });
      if (!again) return null;
      if (!again.isFile()) continue;
      before = again;
    }
    let handle;
    try {
      handle = await open(options.abs, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null;
      if (code === 'ELOOP') continue; // replaced by a symlink since the lstat
      throw err;
    }
    try {
      if (!sameFileState(await handle.stat({ bigint: true }), before)) continue;
      const chunks: ChunkRef[] = [];
      let bytes = 0;
      for await (const chunk of chunkFile(handle, Number(before.size))) {
        options.signal?.throwIfAborted();
        bytes += chunk.length;
        chunks.push(await options.onChunk(chunk));
      }
      const after = await handle.stat({ bigint: true });
      const atPath = await lstat(options.abs, { bigint: true }).catch(() => null);
      if (bytes === Number(before.size) && sameFileState(after, before) && atPath && sameFileState(atPath, before)) return { stat: before, chunks };
    } finally {
      await handle.close();
    }
  }
  throw new PilotfishError(
    'BACKUP_INCONSISTENT',
    `file ${options.path} changed while it was read, ${options.retries + 1} times; stop the writer or snapshot when the application is quiescent, then retry`,
    { details: { path: options.path } },
  );
}
