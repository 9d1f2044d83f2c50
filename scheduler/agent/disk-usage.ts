import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Disk usage of directories, like `du -sb`: apparent bytes of every file, directory and symlink,
 * hard-linked files counted once, symlinks not followed. Directories that vanish mid-walk (a task
 * deleting files) are skipped, not errors.
 */
export async function diskUsageBytes(dirs: readonly string[]): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const stack = [...dirs];
  while (stack.length > 0) {
    const path = stack.pop() as string;
    let st;
    try {
      st = await lstat(path, { bigint: false });
    } catch {
      continue;
    }
    if (st.nlink > 1 && !st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    total += st.size;
    if (!st.isDirectory()) continue;
    try {
      for (const name of await readdir(path)) stack.push(join(path, name));
    } catch {
      // removed between lstat and readdir
    }
  }
  return total;
}
