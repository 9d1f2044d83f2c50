import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPilotfishError } from '../../common/errors.js';
import { silentLogger } from '../../common/logger.js';
import { secretsSchema } from '../../secrets/config.js';
import { createEnvSecretStore } from '../../secrets/env.js';
import { createSecretStore } from '../../secrets/factory.js';
import { createMemorySecretStore } from '../../secrets/memory.js';
import type { SecretStore } from '../../secrets/secret-store.js';
import { tempDir } from '../support/tmp.js';
import { startVault, type VaultTarget } from '../support/vault.js';

/**
 * One SecretStore suite, run against every adapter: env, file, memory, and Vault (the double, or
 * `vault server -dev` when the binary is on PATH) with token and AppRole login.
 */

const VALUES = { 'db-root-password': 'root-pw-3f9a', 'backup.key': 'key-9d2c' };

interface Adapter {
  name: string;
  /** A store holding VALUES; `where` is a fragment the not-found message must contain for `missing-one`. */
  make(): Promise<{ store: SecretStore; where: string }>;
}

const dir = tempDir('pf-secrets-');
let vault: VaultTarget;

async function vaultStore(login: Record<string, unknown>): Promise<SecretStore> {
  const config = secretsSchema.parse({ vault: { address: vault.address, path: 'app', ...login } });
  return createSecretStore(config, { logger: silentLogger() });
}

const adapters: Adapter[] = [
  {
    name: 'env',
    async make() {
      const env = { PILOTFISH_SECRET_DB_ROOT_PASSWORD: VALUES['db-root-password'], PILOTFISH_SECRET_BACKUP_KEY: VALUES['backup.key'] };
      return { store: createEnvSecretStore({ prefix: 'PILOTFISH_SECRET_' }, env), where: 'PILOTFISH_SECRET_MISSING_ONE' };
    },
  },
  {
    name: 'file',
    async make() {
      for (const [name, value] of Object.entries(VALUES)) writeFileSync(join(dir.path, name), `${value}\n`, { mode: 0o600 });
      const config = secretsSchema.parse({ file: { dir: dir.path } });
      return { store: await createSecretStore(config, { logger: silentLogger() }), where: join(dir.path, 'missing-one') };
    },
  },
  {
    name: 'memory',
    async make() {
      return { store: createMemorySecretStore(VALUES), where: 'memory store' };
    },
  },
  {
    name: 'vault-token',
    async make() {
      const token = await vault.createToken(60_000);
      return { store: await vaultStore({ token }), where: `${vault.address}/v1/secret/data/app/missing-one` };
    },
  },
  {
    name: 'vault-approle',
    async make() {
      const approle = await vault.addAppRole(60_000);
      return { store: await vaultStore({ approle }), where: `${vault.address}/v1/secret/data/app/missing-one` };
    },
  },
];

beforeAll(async () => {
  vault = await startVault();
  for (const [name, value] of Object.entries(VALUES)) await vault.putSecret(`app/${name}`, { value });
});

afterAll(async () => {
  await vault?.stop();
  dir.remove();
});

describe.each(adapters)('SecretStore contract: $name', (adapter) => {
  it(`SecretStore_${adapter.name}_get_returnsTheStoredValue`, async () => {
    const { store } = await adapter.make();
    expect(await store.get('db-root-password')).toBe(VALUES['db-root-password']);
    expect(await store.get('backup.key')).toBe(VALUES['backup.key']);
    await store.close();
  });

  it(`SecretStore_${adapter.name}_missingSecret_throwsNotFoundNamingWhereItLooked`, async () => {
    const { store, where } = await adapter.make();
    const err = await store.get('missing-one').catch((e: unknown) => e);
    expect(isPilotfishError(err, 'SECRET_NOT_FOUND')).toBe(true);
    const message = (err as Error).message;
    expect(message).toContain('"missing-one"');
    expect(message).toContain(where);
    for (const value of Object.values(VALUES)) expect(message).not.toContain(value);
    await store.close();
  });

  it(`SecretStore_${adapter.name}_nameLeavingItsPlace_isRefused`, async () => {
    const { store } = await adapter.make();
    for (const name of ['../etc/passwd', 'a/b', '']) {
      await expect(store.get(name)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    }
    await store.close();
  });

  it(`SecretStore_${adapter.name}_close_isIdempotent`, async () => {
    const { store } = await adapter.make();
    let calls = 0;
    const off = store.onReauthenticated(() => calls++);
    off();
    await store.close();
    await store.close();
    expect(calls).toBe(0);
  });
});

describe('SecretStore adapter specifics', () => {
  it('FileSecretStore_worldReadableFile_isRefusedWithTheChmodFix', async () => {
    const path = join(dir.path, 'loose');
    writeFileSync(path, 'loose-value\n');
    chmodSync(path, 0o644);
    const store = await createSecretStore(secretsSchema.parse({ file: { dir: dir.path } }), { logger: silentLogger() });
    const err = await store.get('loose').catch((e: unknown) => e);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toContain(`chmod 600 ${path}`);
    expect((err as Error).message).not.toContain('loose-value');
  });

  it('EnvSecretStore_customPrefix_readsPrefixedUpperSnakeCase', async () => {
    const store = createEnvSecretStore({ prefix: 'APP_' }, { APP_DB_ROOT_PASSWORD: 'x1' });
    expect(await store.get('db-root-password')).toBe('x1');
  });

  it('VaultSecretStore_tokenFile_isReadAndTrailingNewlineRemoved', async () => {
    const tokenFile = join(dir.path, 'vault-token');
    writeFileSync(tokenFile, `${await vault.createToken(60_000)}\n`, { mode: 0o600 });
    const store = await vaultStore({ tokenFile });
    expect(await store.get('db-root-password')).toBe(VALUES['db-root-password']);
    await store.close();
  });

  it('VaultSecretStore_wrongAppRoleSecret_failsNamingTheSettingNotTheSecret', async () => {
    const { roleId } = await vault.addAppRole(60_000);
    const err = await vaultStore({ approle: { roleId, secretId: 'wrong-secret-id-1234' } }).catch((e: unknown) => e);
    expect(isPilotfishError(err, 'SECRET_STORE_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toContain('secrets.vault.approle');
    expect((err as Error).message).not.toContain('wrong-secret-id-1234');
  });

  it('VaultSecretStore_unreachableAtStart_failsRetryableNamingTheAddress', async () => {
    const config = secretsSchema.parse({ vault: { address: 'http://127.0.0.1:9', token: 'tok-unused-5521', timeout: '500ms' } });
    const err = await createSecretStore(config, { logger: silentLogger() }).catch((e: unknown) => e);
    expect(isPilotfishError(err, 'SECRET_STORE_UNAVAILABLE')).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(true);
    expect((err as Error).message).toContain('http://127.0.0.1:9');
    // Not in the message, and not anywhere in the error object either (no foreign `cause` with headers).
    expect(inspect(err, { depth: 20, showHidden: true })).not.toContain('tok-unused-5521');
  });

  it('VaultSecretStore_unknownMount_saysToCheckTheMountSetting', async () => {
    const store = await vaultStore({ token: await vault.createToken(60_000), mount: 'kv-missing' });
    await expect(store.get('db-root-password')).rejects.toThrow(/no KV v2 engine at mount "kv-missing".*check secrets\.vault\.mount/);
    await store.close();
  });

  it('VaultSecretStore_secretWithoutValueField_saysWhichFieldIsMissing', async () => {
    await vault.putSecret('app/no-value', { password: 'other-field' });
    const store = await vaultStore({ token: await vault.createToken(60_000) });
    await expect(store.get('no-value')).rejects.toThrow(/no string field "value"/);
    await store.close();
  });
});
