import { execaSync } from 'execa';
import { randomUUID } from 'node:crypto';
import { freePort } from './ports.js';
import { spawnTracked } from './processes.js';
import { tempDir } from './tmp.js';
import { VaultDouble, type VaultRequest } from './vault-double.js';
import { waitFor } from './wait.js';
import { join } from 'node:path';

/**
 * A Vault to test against: a real `vault server -dev` when the binary is on PATH, else the
 * {@link VaultDouble}. Both are driven through the same calls; only the double keeps a request log
 * (outage tests that read retry times from it run against the double only).
 */
export interface VaultTarget {
  readonly kind: 'double' | 'vault-dev';
  readonly address: string;
  readonly rootToken: string;
  /** Writes KV v2 `secret/data/<path>` with `data`. */
  putSecret(path: string, data: Record<string, string>): Promise<void>;
  /** A renewable token with this TTL (whole seconds) and optional max TTL. */
  createToken(ttlMs: number, maxTtlMs?: number): Promise<string>;
  /** An AppRole whose tokens have these TTLs (whole seconds). */
  addAppRole(tokenTtlMs: number, tokenMaxTtlMs?: number): Promise<{ roleId: string; secretId: string }>;
  /** The double itself, for its request log and outage controls; `undefined` for a real Vault. */
  readonly double: VaultDouble | undefined;
  stop(): Promise<void>;
}

export type { VaultRequest };

/** Whether a `vault` binary is on PATH (then the suites run against `vault server -dev`). */
export function vaultBinaryAvailable(): boolean {
  try {
    execaSync('vault', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function startVault(): Promise<VaultTarget> {
  return vaultBinaryAvailable() ? startVaultDev() : startDouble();
}

async function startDouble(): Promise<VaultTarget> {
  const double = await VaultDouble.start();
  const api = vaultApi(double.address, double.rootToken);
  return {
    kind: 'double',
    address: double.address,
    rootToken: double.rootToken,
    putSecret: (path, data) => api('POST', `secret/data/${path}`, { data }).then(() => undefined),
    createToken: async (ttlMs, maxTtlMs) => double.createToken(ttlMs, { maxTtlMs }),
    addAppRole: async (ttlMs, maxTtlMs) => double.addAppRole(ttlMs, maxTtlMs),
    double,
    stop: () => double.close(),
  };
}

/** A real dev-mode Vault (in-memory, unsealed, KV v2 at `secret/`). Not exercised where no binary exists. */
async function startVaultDev(): Promise<VaultTarget> {
  const dir = tempDir('pf-vault-');
  const port = await freePort();
  const address = `http://127.0.0.1:${port}`;
  const rootToken = randomUUID();
  const proc = spawnTracked('vault', ['server', '-dev', `-dev-root-token-id=${rootToken}`, `-dev-listen-address=127.0.0.1:${port}`], {
    logFile: join(dir.path, 'vault.log'),
    env: { ...process.env, VAULT_DEV_ROOT_TOKEN_ID: rootToken },
  });
  await waitFor('vault to be unsealed', async () => {
    if (proc.child.exitCode !== null) throw new Error(`vault exited; see ${dir.path}/vault.log`);
    const res = await fetch(`${address}/v1/sys/health`, { signal: AbortSignal.timeout(1000) });
    return res.status === 200;
  });
  const api = vaultApi(address, rootToken);
  await api('POST', 'sys/auth/approle', { type: 'approle' });
  const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;
  return {
    kind: 'vault-dev',
    address,
    rootToken,
    double: undefined,
    putSecret: (path, data) => api('POST', `secret/data/${path}`, { data }).then(() => undefined),
    async createToken(ttlMs, maxTtlMs) {
      const body = { ttl: seconds(ttlMs), renewable: true, ...(maxTtlMs ? { explicit_max_ttl: seconds(maxTtlMs) } : {}) };
      const res = (await api('POST', 'auth/token/create', body)) as { auth: { client_token: string } };
      return res.auth.client_token;
    },
    async addAppRole(ttlMs, maxTtlMs) {
      const role = `r${randomUUID().slice(0, 8)}`;
      await api('POST', 'sys/policies/acl/pf-read', { policy: 'path "secret/data/*" { capabilities = ["read"] }' });
      await api('POST', `auth/approle/role/${role}`, {
        token_ttl: seconds(ttlMs),
        token_policies: ['pf-read'],
        ...(maxTtlMs ? { token_max_ttl: seconds(maxTtlMs) } : {}),
      });
      const roleId = ((await api('GET', `auth/approle/role/${role}/role-id`)) as { data: { role_id: string } }).data.role_id;
      const secretId = ((await api('POST', `auth/approle/role/${role}/secret-id`, {})) as { data: { secret_id: string } }).data
        .secret_id;
      return { roleId, secretId };
    },
    async stop() {
      await proc.kill();
      dir.remove();
    },
  };
}

/** A tiny authenticated Vault HTTP client for test set-up (not the adapter under test). */
function vaultApi(address: string, token: string) {
  return async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${address}/v1/${path}`, {
      method,
      headers: { 'X-Vault-Token': token, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`vault ${method} ${path}: HTTP ${res.status} ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  };
}
