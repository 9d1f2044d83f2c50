import { join } from 'node:path';
import { PilotfishError } from '../common/errors.js';
import { readSecretFile } from './secret-file.js';
import { assertSecretName } from './secret-name.js';
import type { SecretStore } from './secret-store.js';

/**
 * Secrets from files, one per secret, as mounted by Docker/Kubernetes secrets: secret `name` is
 * the content of `<dir>/<name>` with one trailing newline removed. A file readable by every user is
 * refused (the error says `chmod 600 <path>`). Files are read on every `get`, so a rotated secret
 * is picked up; listeners are never called.
 */
export function createFileSecretStore(config: { dir: string }): SecretStore {
  return {
    kind: 'file',
    async get(name) {
      assertSecretName(name);
      const path = join(config.dir, name);
      const value = await readSecretFile(path);
      if (value === undefined) {
        throw new PilotfishError(
          'SECRET_NOT_FOUND',
          `secret "${name}" not found: file ${path} does not exist; create it with mode 600 (secrets.file.dir is ${config.dir})`,
          { details: { name, path } },
        );
      }
      return value;
    },
    onReauthenticated: () => () => undefined,
    close: async () => undefined,
  };
}
