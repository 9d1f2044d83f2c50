import type { Logger } from '../common/logger.js';
import type { SecretsConfig } from './config.js';
import type { SecretStore } from './secret-store.js';

/**
 * Builds the SecretStore the `secrets:` section names: `vault`, `file`, or `env` (the default).
 * Each adapter is loaded with dynamic `import()`, so `node-vault` is only loaded when Vault is used.
 * The Vault store logs in before this resolves and throws SECRET_STORE_UNAVAILABLE when it cannot.
 */
export async function createSecretStore(config: SecretsConfig, opts: { logger: Logger }): Promise<SecretStore> {
  if (config.vault) {
    const { createVaultSecretStore } = await import('./vault.js');
    return createVaultSecretStore(config.vault, { logger: opts.logger });
  }
  if (config.file) {
    const { createFileSecretStore } = await import('./file.js');
    return createFileSecretStore(config.file);
  }
  const { createEnvSecretStore } = await import('./env.js');
  return createEnvSecretStore(config.env ?? { prefix: 'PILOTFISH_SECRET_' });
}
