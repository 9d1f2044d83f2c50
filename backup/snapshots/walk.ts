import type { BigIntStats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../common/logger.js';
import { mapLimit } from './map-limit.js';

/** One entry found by the walk, with the lstat taken when it was found. */
export interface WalkEntry {
  /** Relative, `/`-separated; `.` for the root. */
  path: string;
  abs: string;
  type: 'dir' | 'file' | 'symlink';
  stat: BigIntStats;
}

function kindOf(stat: BigIntStats): WalkEntry['type'] | 'socket' | 'fifo' | 'device' {
  if (stat.isDirectory()) return 'dir';
  if (stat.isFile()) return 'file';
  if (stat.isSymbolicLink()) return 'symlink';
  if (stat.isSocket()) return 'socket';
  if (stat.isFIFO()) return 'fifo';
  return 'device';
}

/** lstat calls in flight at once during the walk. */
export const STAT_CONCURRENCY = 32;

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * Every directory, regular file and symlink under `root` (the root first, each directory before
 * its contents, names in byte order). Links are not followed. Sockets, FIFOs and devices are
 * skipped with a warning. An entry that vanishes between readdir and lstat is left out.
 */
export async function walkDirectory(root: string, logger: Logger, signal?: AbortSignal): Promise<WalkEntry[]> {
  const found: WalkEntry[] = [];
  const statOf = async (path: string, abs: string): Promise<BigIntStats | null> => {
    try {
      return await lstat(abs, { bigint: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && path !== '.') return null;
      throw err;
    }
  };
  // The entries of one directory are lstat'ed in parallel, then visited in name order.
  const visit = async (path: string, abs: string, stat: BigIntStats | null): Promise<void> => {
    signal?.throwIfAborted();
    if (!stat) return;
    const type = kindOf(stat);
    if (type !== 'dir' && type !== 'file' && type !== 'symlink') {
      logger.warn({ path, type }, 'snapshot skips a special file');
      return;
    }
    found.push({ path, abs, type, stat });
    if (type !== 'dir') return;
    let names: string[];
    try {
      names = (await readdir(abs)).sort(byteOrder);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && path !== '.') return;
      throw err;
    }
    const children = names.map((name) => ({ path: path === '.' ? name : `${path}/${name}`, abs: join(abs, name) }));
    const stats = await mapLimit(children, STAT_CONCURRENCY, (child) => statOf(child.path, child.abs));
    for (const [i, child] of children.entries()) await visit(child.path, child.abs, stats[i] ?? null);
  };
  await visit('.', root, await statOf('.', root));
  return found;
}
