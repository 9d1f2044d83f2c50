import { execa } from 'execa';
import { PilotfishError } from '../../../common/errors.js';
import type { Manifest } from '../../../backup/manifest.js';

/** `mariadb-backup --prepare`: applies the copied redo log so the files are consistent. */
export async function prepareMysql(dir: string, signal: AbortSignal, binary = 'mariadb-backup'): Promise<void> {
  const result = await execa(binary, ['--prepare', `--target-dir=${dir}`], {
    reject: false,
    all: true,
    cancelSignal: signal,
    stdin: 'ignore',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.exitCode !== 0) {
    const tail = String(result.all ?? '').trim().split('\n').slice(-5).join(' | ');
    throw new PilotfishError('RESTORE_FAILED', `mariadb-backup --prepare failed (exit ${result.exitCode ?? result.signal}): ${tail}`);
  }
}

/**
 * The restore hook for MySQL backups: physical copies (xbstream) are prepared, logical dumps are
 * already usable as they are.
 */
export function mysqlRestorePrepare(binary = 'mariadb-backup'): (dir: string, manifest: Manifest, signal: AbortSignal) => Promise<void> {
  return async (dir, manifest, signal) => {
    if (manifest.format === 'xbstream') await prepareMysql(dir, signal, binary);
  };
}
