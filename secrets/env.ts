import { PilotfishError } from '../common/errors.js';
import { assertSecretName } from './secret-name.js';
import type { SecretStore } from './secret-store.js';

/** The variable that holds secret `name`: `db-root-password` → `<prefix>DB_ROOT_PASSWORD`. */
export function secretEnvName(prefix: string, name: string): string {
  return `${prefix}${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * Secrets from environment variables, the embedded default: secret `db-root-password` is
 * `PILOTFISH_SECRET_DB_ROOT_PASSWORD` with the default prefix. The environment is read on every
 * `get`, so nothing is cached; it never re-authenticates, so listeners are never called.
 */
export function createEnvSecretStore(config: { prefix: string }, env: NodeJS.ProcessEnv = process.env): SecretStore {
  return {
    kind: 'env',
    async get(name) {
      assertSecretName(name);
      const variable = secretEnvName(config.prefix, name);
      const value = env[variable];
      if (value === undefined || value === '') {
        throw new PilotfishError(
          'SECRET_NOT_FOUND',
          `secret "${name}" not found: environment variable ${variable} is not set; set it, or configure secrets.file or secrets.vault`,
          { details: { name, variable } },
        );
      }
      return value;
    },
    onReauthenticated: () => () => undefined,
    close: async () => undefined,
  };
}
