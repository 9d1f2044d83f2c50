import { readFile, stat } from 'node:fs/promises';
import { PilotfishError } from '../common/errors.js';

/**
 * Reads a secret kept in a file (a `file` store entry, a Vault `tokenFile`, an AppRole
 * `secretIdFile`): the content with one trailing newline removed. A file that other users can read
 * is refused, since the secret would already be exposed; the error names the path and the fix.
 * A missing file returns `undefined` so callers can say what they looked for.
 */
export async function readSecretFile(path: string): Promise<string | undefined> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PilotfishError('SECRET_STORE_UNAVAILABLE', `cannot read secret file ${path}: ${(err as Error).message}`);
  }
  if ((mode & 0o004) !== 0) {
    throw new PilotfishError(
      'SECRET_STORE_UNAVAILABLE',
      `secret file ${path} is readable by every user (mode ${(mode & 0o777).toString(8).padStart(3, '0')}); restrict it with: chmod 600 ${path} (for Docker or Compose secrets, set mode: 0400)`,
    );
  }
  try {
    return (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new PilotfishError('SECRET_STORE_UNAVAILABLE', `cannot read secret file ${path}: ${(err as Error).message}`);
  }
}
