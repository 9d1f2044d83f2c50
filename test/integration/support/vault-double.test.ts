import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultDouble } from '../../support/vault-double.js';
import { waitFor } from '../../support/wait.js';

/** The Vault double is strict where Vault is: these are the answers the adapter relies on. */
describe('VaultDouble', () => {
  let vault: VaultDouble;
  const call = async (method: string, path: string, options: { token?: string; body?: string } = {}) => {
    const res = await fetch(`${vault.address}/v1/${path}`, {
      method,
      headers: options.token ? { 'X-Vault-Token': options.token } : {},
      body: options.body,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    vault = await VaultDouble.start();
  });
  afterAll(async () => {
    await vault.close();
  });

  it('VaultDouble_kvV2_writeThenReadHasDataAndMetadata', async () => {
    const write = await call('POST', 'secret/data/a/b', { token: vault.rootToken, body: '{"data":{"value":"v1"}}' });
    expect(write.status).toBe(200);
    const read = await call('GET', 'secret/data/a/b', { token: vault.rootToken });
    expect(read.status).toBe(200);
    expect(read.body.data).toMatchObject({ data: { value: 'v1' }, metadata: { version: 1, destroyed: false } });
    expect(await call('GET', 'secret/data/a/missing', { token: vault.rootToken })).toEqual({ status: 404, body: { errors: [] } });
  });

  it('VaultDouble_badRequests_answerLikeVault', async () => {
    const token = vault.rootToken;
    expect((await call('GET', 'secret/data/a/b')).status).toBe(403);
    expect((await call('GET', 'secret/data/a/b', { token: 'hvs.nope' })).body).toEqual({ errors: ['permission denied'] });
    expect((await call('GET', 'nomount/data/x', { token })).status).toBe(404);
    expect((await call('DELETE', 'auth/token/renew-self', { token })).status).toBe(405);
    expect((await call('GET', 'auth/approle/login')).status).toBe(405);
    expect((await call('POST', 'secret/data/a/b', { token, body: '{"data":' })).status).toBe(400);
    expect((await call('POST', 'auth/approle/login', { body: '{"role_id":"x","secret_id":"y"}' })).status).toBe(400);
  });

  it('VaultDouble_tokenTtl_reallyExpiresAndRenewalExtendsIt', async () => {
    const token = vault.createToken(1000);
    const lookup = await call('GET', 'auth/token/lookup-self', { token });
    // The exact ttl depends on the wall-clock phase of issue and lookup; the clocked tests pin it.
    expect(lookup.body.data).toMatchObject({ renewable: true });
    const renew = await call('POST', 'auth/token/renew-self', { token });
    expect(renew.body.auth).toMatchObject({ client_token: token, lease_duration: 1, renewable: true });
    await waitFor('token expiry', async () => (await call('GET', 'auth/token/lookup-self', { token })).status === 403, {
      timeoutMs: 3000,
      intervalMs: 50,
    });
  });

  describe('with a test clock', () => {
    // A whole second of wall-clock time, so the phase within the second is set exactly.
    const secondMs = 1_700_000_000_000;
    let nowMs = secondMs;
    let clocked: VaultDouble;
    const lookup = async (token: string) => {
      const res = await fetch(`${clocked.address}/v1/auth/token/lookup-self`, { headers: { 'X-Vault-Token': token } });
      const body = (await res.json()) as { data?: { ttl: number } };
      return { status: res.status, ttl: body.data?.ttl };
    };

    beforeAll(async () => {
      clocked = await VaultDouble.start({ now: () => nowMs });
    });
    afterAll(async () => {
      await clocked.close();
    });

    it('VaultDouble_tokenTtl_isWholeSecondsTruncatedFromTheRoundedNow', async () => {
      nowMs = secondMs;
      const token = clocked.createToken(1000);
      expect(await lookup(token)).toEqual({ status: 200, ttl: 1 });
      nowMs = secondMs + 499;
      expect(await lookup(token)).toEqual({ status: 200, ttl: 1 });
      nowMs = secondMs + 500;
      expect(await lookup(token)).toEqual({ status: 200, ttl: 0 });
      nowMs = secondMs + 999;
      expect(await lookup(token)).toEqual({ status: 200, ttl: 0 });
      nowMs = secondMs + 1000;
      expect((await lookup(token)).status).toBe(403);
    });

    it('VaultDouble_tokenTtl_issuedLateInASecondReadsZeroAtOnce', async () => {
      nowMs = secondMs + 600;
      const token = clocked.createToken(1000);
      expect(await lookup(token)).toEqual({ status: 200, ttl: 0 });
      nowMs = secondMs + 1599;
      expect(await lookup(token)).toEqual({ status: 200, ttl: 0 });
      nowMs = secondMs + 1600;
      expect((await lookup(token)).status).toBe(403);
    });

    it('VaultDouble_renewSelf_extendsFromTheClockNow', async () => {
      nowMs = secondMs;
      const token = clocked.createToken(2000);
      nowMs = secondMs + 1500;
      const renew = await fetch(`${clocked.address}/v1/auth/token/renew-self`, { method: 'POST', headers: { 'X-Vault-Token': token } });
      expect(((await renew.json()) as { auth: { lease_duration: number } }).auth.lease_duration).toBe(2);
      nowMs = secondMs + 3499;
      expect(await lookup(token)).toEqual({ status: 200, ttl: 0 });
      nowMs = secondMs + 3500;
      expect((await lookup(token)).status).toBe(403);
    });
  });

  it('VaultDouble_appRoleLogin_issuesATokenWithTheRoleTtl', async () => {
    const { roleId, secretId } = vault.addAppRole(5000);
    const login = await call('POST', 'auth/approle/login', { body: JSON.stringify({ role_id: roleId, secret_id: secretId }) });
    const auth = login.body.auth as { client_token: string; lease_duration: number };
    expect(auth.lease_duration).toBe(5);
    const lookup = await call('GET', 'auth/token/lookup-self', { token: auth.client_token });
    expect((lookup.body.data as { ttl: number }).ttl).toBeGreaterThanOrEqual(4);
  });

  it('VaultDouble_down_resetsConnectionsAndLogsTheAttempt', async () => {
    vault.setDown(true);
    const port = Number(new URL(vault.address).port);
    // A fresh connection (not a pooled one) is accepted and cut at once, as when Vault is gone.
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
    });
    vault.setDown(false);
    expect(vault.requests().filter((r) => r.status === 'reset').length).toBeGreaterThanOrEqual(1);
    expect((await call('GET', 'secret/data/a/b', { token: vault.rootToken })).status).toBe(200);
  });
});
