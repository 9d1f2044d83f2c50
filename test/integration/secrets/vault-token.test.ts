import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { secretsSchema } from '../../../secrets/config.js';
import { createSecretStore } from '../../../secrets/factory.js';
import type { SecretStore } from '../../../secrets/secret-store.js';
import { startVault, type VaultTarget } from '../../support/vault.js';
import { waitFor } from '../../support/wait.js';

/**
 * Token lifecycle of the Vault SecretStore against the Vault double (or `vault server -dev` when
 * the binary is on PATH): renewal at half the TTL, halving retries while Vault is down, re-login
 * and the re-authenticated event once the token has expired. Times come from the double's log.
 */

const logLines: string[] = [];
const logger = createLogger({
  level: 'debug',
  destination: new Writable({
    write(chunk, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  }),
});
const credentials: string[] = [];
let vault: VaultTarget;
let store: SecretStore | undefined;

async function approleStore(tokenTtlMs: number, tokenMaxTtlMs?: number): Promise<SecretStore> {
  const { roleId, secretId } = await vault.addAppRole(tokenTtlMs, tokenMaxTtlMs);
  credentials.push(secretId);
  const config = secretsSchema.parse({ vault: { address: vault.address, approle: { roleId, secretId }, retryFloor: '250ms' } });
  store = await createSecretStore(config, { logger });
  return store;
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - (times[i] as number));
}

beforeAll(async () => {
  vault = await startVault();
  credentials.push(vault.rootToken);
  await vault.putSecret('pilotfish/db-root-password', { value: 'vault-value-7c1f' });
  credentials.push('vault-value-7c1f');
});

afterEach(async () => {
  await store?.close();
  store = undefined;
  vault.double?.setDown(false);
});

afterAll(async () => {
  await vault?.stop();
});

describe.sequential('vault secret store: token lifecycle', () => {
  it('VaultStore_shortTtl_renewsAtHalfTheTtl', async (ctx) => {
    if (!vault.double) ctx.skip();
    const double = vault.double!;
    const since = Date.now();
    await approleStore(2000);
    const renewals = await waitFor('two renewals', () => {
      const r = double.requests('/auth/token/renew-self').filter((q) => q.atMs >= since);
      return r.length >= 2 ? r : undefined;
    }, { timeoutMs: 5000, intervalMs: 50 });
    const login = double.requests('/auth/approle/login').filter((q) => q.atMs >= since)[0]!;
    const intervals = gaps([login.atMs, ...renewals.map((r) => r.atMs)]);
    console.info(`renewal intervals for TTL 2s: ${intervals.join(', ')} ms`);
    for (const ms of intervals) {
      expect(ms).toBeGreaterThanOrEqual(950);
      expect(ms).toBeLessThan(1300);
    }
    expect(renewals.every((r) => r.status === 200)).toBe(true);
    expect(await store!.get('db-root-password')).toBe('vault-value-7c1f');
  });

  it('VaultStore_vaultDown_retriesAtHalvingIntervalsThenReloginsAndEmits', async (ctx) => {
    if (!vault.double) ctx.skip();
    const double = vault.double!;
    const since = Date.now();
    const s = await approleStore(4000);
    let reauthenticated = 0;
    s.onReauthenticated(() => reauthenticated++);
    // First renewal lands at ~2 s (token then valid until ~6 s); then Vault goes away.
    await waitFor('first renewal', () => double.requests('/renew-self').some((r) => r.atMs >= since && r.status === 200), {
      timeoutMs: 4000,
      intervalMs: 20,
    });
    const renewedAt = Date.now();
    double.setDown(true);
    const expiresAt = renewedAt + 4000;
    const resets = await waitFor('attempts past the token expiry', () => {
      const r = double.requests().filter((q) => q.status === 'reset' && q.atMs > renewedAt);
      return r.length > 0 && (r[r.length - 1] as { atMs: number }).atMs > expiresAt + 200 ? r : undefined;
    }, { timeoutMs: 10_000, intervalMs: 20 });
    const intervals = gaps(resets.map((r) => r.atMs));
    console.info(`first failed renewal ${(resets[0]!.atMs - renewedAt)} ms after the last renewal; retry intervals while down: ${intervals.join(', ')} ms`);
    // Renewal due at half of 4 s fails with 2 s left: retries after 1 s, 0.5 s, then the 250 ms floor.
    expect(resets[0]!.atMs - renewedAt).toBeGreaterThan(1800);
    expect(intervals[0]).toBeGreaterThanOrEqual(950);
    expect(intervals[0]).toBeLessThan(1250);
    expect(intervals[1]).toBeGreaterThanOrEqual(450);
    expect(intervals[1]).toBeLessThan(750);
    expect(intervals[2]).toBeGreaterThanOrEqual(240);
    expect(intervals[2]).toBeLessThan(500);
    expect(reauthenticated).toBe(0);

    const upAt = Date.now();
    double.setDown(false);
    await waitFor('re-authenticated event', () => reauthenticated === 1, { timeoutMs: 5000, intervalMs: 20 });
    const logins = double.requests('/auth/approle/login').filter((q) => q.atMs >= upAt && q.status === 200);
    expect(logins).toHaveLength(1);
    console.info(`re-login ${logins[0]!.atMs - upAt} ms after Vault came back`);
    expect(await s.get('db-root-password')).toBe('vault-value-7c1f');
  });

  it('VaultStore_tokenReachesMaxTtl_logsInAgainAndEmitsOnce', async () => {
    const since = Date.now();
    const s = await approleStore(2000, 3000);
    let reauthenticated = 0;
    s.onReauthenticated(() => reauthenticated++);
    await waitFor('re-authenticated event', () => reauthenticated >= 1, { timeoutMs: 8000, intervalMs: 20 });
    const elapsedMs = Date.now() - since;
    console.info(`token with max TTL 3s re-authenticated after ${elapsedMs} ms`);
    expect(elapsedMs).toBeLessThan(4000);
    expect(reauthenticated).toBe(1);
    expect(await s.get('db-root-password')).toBe('vault-value-7c1f');
    if (vault.double) {
      // Every read after the re-login succeeded: no 403 reached a caller.
      expect(vault.double.requests('/secret/data/').filter((q) => q.atMs >= since && q.status === 403)).toHaveLength(0);
    }
  });

  it('VaultStore_tokenRevoked_nextRenewalLogsInAgain', async (ctx) => {
    if (!vault.double) ctx.skip();
    const s = await approleStore(2000);
    let reauthenticated = 0;
    s.onReauthenticated(() => reauthenticated++);
    vault.double!.revokeAll();
    await waitFor('re-authenticated event', () => reauthenticated === 1, { timeoutMs: 3000, intervalMs: 20 });
    expect(await s.get('db-root-password')).toBe('vault-value-7c1f');
  });

  it('VaultStore_wholeLifecycle_neverLogsTokensOrValues', () => {
    const text = logLines.join('');
    expect(text).toContain('logged in to Vault');
    for (const secret of credentials) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/hvs\.[0-9a-f-]{36}/);
  });
});
