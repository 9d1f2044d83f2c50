import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PilotfishError } from '../../common/errors.js';
import type { PilotfishConfig } from '../../supervisor/config.js';

/**
 * A minimal stand-in for the SecretStore factory, following the env and file adapter conventions
 * (`PILOTFISH_SECRET_<NAME>`, `<dir>/<name>`), for the CLI until `supervisor/secrets/factory.ts`
 * exists; swap `get` for the real store then. Values never appear in errors.
 */
export function cliSecrets(config: PilotfishConfig, env: NodeJS.ProcessEnv = process.env): { get(name: string): Promise<string> } {
  return {
    async get(name: string): Promise<string> {
      if (config.secrets.vault) {
        throw new PilotfishError('SECRET_STORE_UNAVAILABLE', `secret ${name}: Vault is not yet supported by "pilotfish backup"; use secrets.env or secrets.file`);
      }
      if (config.secrets.file) {
        const path = join(config.secrets.file.dir, name);
        try {
          return (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
        } catch {
          throw new PilotfishError('SECRET_NOT_FOUND', `secret ${name} not found: no readable file ${path}`);
        }
      }
      const variable = `${config.secrets.env?.prefix ?? 'PILOTFISH_SECRET_'}${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
      const value = env[variable];
      if (value === undefined) throw new PilotfishError('SECRET_NOT_FOUND', `secret ${name} not found: set environment variable ${variable}`);
      return value;
    },
  };
}
