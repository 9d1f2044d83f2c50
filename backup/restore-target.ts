import { readdir, rename, rmdir } from 'node:fs/promises';
import { PilotfishError } from '../common/errors.js';

/** Whether a restore target is missing, an empty directory, or holds something. */
export async function targetState(dir: string): Promise<'absent' | 'empty' | 'occupied'> {
  try {
    return (await readdir(dir)).length === 0 ? 'empty' : 'occupied';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw new PilotfishError('RESTORE_FAILED', `restore target ${dir} cannot be used: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Moves a finished scratch directory into place. An occupied target is renamed to
 * `<target>.old-<timestamp>` (only with `force`; it is never deleted), an empty one is removed.
 * Returns where the previous contents went, or `null`.
 */
export async function swapIntoPlace(scratch: string, target: string, force: boolean): Promise<string | null> {
  let previousDir: string | null = null;
  const state = await targetState(target);
  if (state === 'occupied') {
    if (!force) throw new PilotfishError('RESTORE_TARGET_NOT_EMPTY', `restore target ${target} filled up during the restore`);
    previousDir = `${target}.old-${new Date().toISOString().replace(/[-:.]/g, '')}`;
    await rename(target, previousDir);
  } else if (state === 'empty') await rmdir(target);
  await rename(scratch, target);
  return previousDir;
}
