import { constants } from 'node:fs';
import { copyFile, lstat, open, rm } from 'node:fs/promises';
import { chunkFile } from './chunker.js';
import type { FileEntry } from './snapshot-index.js';
import { type SnapshotKeys, chunkId } from './snapshot-keys.js';

/** Restored mtimes pass through a double (utimes), so a warm copy's may differ by a few hundred ns. */
const MTIME_SLACK_NS = 1_000n;

/**
 * Copies a file of an existing copy of the tree (the old restore target) into the scratch
 * directory instead of downloading it, when it can be the same content: a regular file of the
 * same size and mtime. The copy (a reflink where the filesystem has them) is then chunked and
 * its chunk ids compared with the snapshot's, so what is kept is proven to be the snapshot's
 * content, whatever happened to the old file. Returns `false` (and leaves nothing) otherwise.
 */
export async function copyIfSame(warmPath: string, scratchPath: string, entry: FileEntry, keys: SnapshotKeys): Promise<boolean> {
  const warm = await lstat(warmPath, { bigint: true }).catch(() => null);
  if (!warm?.isFile() || Number(warm.size) !== entry.size) return false;
  const drift = warm.mtimeNs - BigInt(entry.mtimeNs);
  if (drift > MTIME_SLACK_NS || drift < -MTIME_SLACK_NS) return false;
  try {
    await copyFile(warmPath, scratchPath, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
  } catch {
    return false;
  }
  const handle = await open(scratchPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  let index = 0;
  let same = true;
  try {
    for await (const chunk of chunkFile(handle, entry.size)) {
      if (entry.chunks[index++]?.[0] !== chunkId(keys, chunk)) {
        same = false;
        break;
      }
    }
  } finally {
    await handle.close();
  }
  if (same && index === entry.chunks.length) return true;
  await rm(scratchPath, { force: true });
  return false;
}
