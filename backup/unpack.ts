import { execa } from 'execa';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { PilotfishError } from '../common/errors.js';
import type { Manifest } from './manifest.js';

/**
 * How each stream format is unpacked into a directory. All tools run as child processes; their
 * failures become RESTORE_FAILED. Making an unpacked copy usable (a recipe's prepare step) is the
 * recipe's business: see `RestoreOptions.prepare`.
 */

export interface Unpacker {
  /** The unpacking tool's stdin pipe, for the decompressor to write into; absent for `sql`. */
  input: Writable | undefined;
  /** For `sql`: the file the decompressor writes the dump into. */
  file: string | undefined;
  /** Resolves when the tool exited 0 (after its input ended). */
  done: Promise<void>;
}

export interface ToolPaths {
  mbstream?: string;
  tar?: string;
}

export function startUnpacker(format: Manifest['format'], dir: string, signal: AbortSignal, tools: ToolPaths = {}): Unpacker {
  if (format === 'sql') return { input: undefined, file: join(dir, 'backup.sql'), done: Promise.resolve() };
  const [file, args] =
    format === 'xbstream'
      ? [tools.mbstream ?? 'mbstream', ['-x', '-C', dir]]
      : [tools.tar ?? 'tar', ['-x', '-f', '-', '--no-same-owner', '--delay-directory-restore', '-C', dir]];
  const child = execa(file, args, {
    buffer: { stdout: false, stderr: true },
    stdin: 'pipe',
    stdout: 'ignore',
    stderr: 'pipe',
    cancelSignal: signal,
    forceKillAfterDelay: 2000,
    reject: false,
  });
  // Exit code decides: the parent's copy of stdin is closed on purpose once zstd holds it.
  const done = child.then((result) => {
    if (result.exitCode === 0 && !result.isCanceled) return;
    const detail = String(result.stderr ?? '').trim().slice(-400);
    throw new PilotfishError('RESTORE_FAILED', `${file} could not unpack the backup (${result.exitCode ?? result.signal}): ${detail}`);
  });
  return { input: child.stdin as Writable, file: undefined, done };
}

/**
 * Refuses an unpacked tree with entries that lead outside it (symlinks to absolute paths or
 * through `..`): GNU tar already refuses `..` member names; this closes the symlink route.
 */
export async function assertContained(root: string): Promise<void> {
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        const target = resolve(dirname(path), await readlink(path));
        if (relative(root, target).startsWith('..')) {
          throw new PilotfishError('RESTORE_FAILED', `the archive holds a link leading outside the target: ${relative(root, path)}`);
        }
      } else if (entry.isDirectory()) await walk(path);
    }
  };
  if ((await lstat(root)).isDirectory()) await walk(root);
}

