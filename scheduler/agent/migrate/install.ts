import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AllocDir } from '../alloc-dir.js';

/**
 * Moves a previous allocation's data into a new allocation directory: `alloc/data` and the
 * `local/` of every task the new allocation also has, from `fromRoot` (the previous allocation's
 * directory on this node, or a verified migration staging tree). Renames only, so it is instant
 * and keeps owners, modes and links; the new allocation's freshly created, empty directories are
 * replaced. A non-empty target is never overwritten: that piece is skipped and reported.
 */
export async function installPreviousData(
  fromRoot: string,
  to: AllocDir,
  tasks: readonly string[],
): Promise<{ moved: string[]; skipped: string[] }> {
  const moved: string[] = [];
  const skipped: string[] = [];
  const pieces: [string, string][] = [['alloc/data', to.dataDir], ...tasks.map((t): [string, string] => [`${t}/local`, to.localDir(t)])];
  for (const [relative, target] of pieces) {
    const source = join(fromRoot, relative);
    if (!existsSync(source)) continue;
    if (existsSync(target)) {
      if ((await readdir(target)).length > 0) {
        skipped.push(relative);
        continue;
      }
      await rmdir(target);
    }
    await mkdir(dirname(target), { recursive: true });
    await rename(source, target);
    moved.push(relative);
  }
  return { moved, skipped };
}
