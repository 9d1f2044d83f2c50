import { PilotfishError } from '../common/errors.js';

/**
 * Secret names are single path segments (`db-root-password`, `backup.key`): they become file names,
 * environment variable suffixes and the last segment of a Vault path, so `/`, `..` and other
 * characters that could leave the configured place are refused.
 */
const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Throws CONFIG_INVALID unless `name` is a valid secret name. */
export function assertSecretName(name: string): void {
  if (!SECRET_NAME.test(name) || name.includes('..')) {
    throw new PilotfishError(
      'CONFIG_INVALID',
      `secret name ${JSON.stringify(name)} is not valid: use letters, digits, '.', '_' and '-' (no '/' or '..'), at most 128 characters`,
    );
  }
}
