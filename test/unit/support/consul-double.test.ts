import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsulDouble, startConsulDouble } from '../../support/consul-double.js';

/** The double must refuse what Consul refuses, so adapter bugs show up against it. */
describe('Consul double', () => {
  let consul: ConsulDouble;
  beforeAll(async () => {
    consul = await startConsulDouble();
  });
  afterAll(() => consul.close());

  const call = (method: string, path: string, body?: string) => fetch(`${consul.address}${path}`, { method, body });
  const session = async (body: object) => ((await (await call('PUT', '/v1/session/create', JSON.stringify(body))).json()) as { ID: string }).ID;

  it('ConsulDouble_unknownEndpoint_answers404', async () => {
    expect((await call('GET', '/v1/nope')).status).toBe(404);
    expect((await call('GET', '/v1/session/nope')).status).toBe(404);
    expect((await call('GET', '/v2/kv/a')).status).toBe(404);
  });

  it('ConsulDouble_wrongMethod_answers405', async () => {
    expect((await call('GET', '/v1/session/create')).status).toBe(405);
    expect((await call('POST', '/v1/kv/a', 'x')).status).toBe(405);
    expect((await call('GET', '/v1/agent/service/register')).status).toBe(405);
  });

  it('ConsulDouble_malformedInput_answers400', async () => {
    expect((await call('PUT', '/v1/session/create', '{not json')).status).toBe(400);
    expect((await call('PUT', '/v1/session/create', '{"TTL":"5s"}')).status).toBe(400);
    expect((await call('PUT', '/v1/session/create', '{"Bogus":1}')).status).toBe(400);
    expect((await call('PUT', '/v1/kv/a?cas=x', 'v')).status).toBe(400);
    expect((await call('GET', '/v1/kv/a?index=1&wait=soon')).status).toBe(400);
    expect((await call('PUT', '/v1/agent/service/register', '{"ID":"x"}')).status).toBe(400);
    expect((await call('PUT', '/v1/agent/check/update/x', '[]')).status).toBe(400);
  });

  it('ConsulDouble_invalidatedSession_deletesItsKeysAndAppliesLockDelay', async () => {
    const holder = await session({ TTL: '10s', LockDelay: '200ms', Behavior: 'delete' });
    const other = await session({ TTL: '10s' });
    expect(await (await call('PUT', `/v1/kv/l?acquire=${holder}`, 'h')).json()).toBe(true);
    expect(await (await call('PUT', `/v1/kv/l?acquire=${other}`, 'o')).json()).toBe(false);
    consul.state.sweep(Date.now() + 10_001);
    expect((await call('PUT', `/v1/session/renew/${holder}`)).status).toBe(404);
    expect((await call('GET', '/v1/kv/l')).status).toBe(404);
    expect((await call('PUT', `/v1/kv/l?acquire=${holder}`, 'h')).status).toBe(500);
    const other2 = await session({ TTL: '30s' });
    expect(await (await call('PUT', `/v1/kv/l?acquire=${other2}`, 'o')).json()).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await (await call('PUT', `/v1/kv/l?acquire=${other2}`, 'o')).json()).toBe(true);
  });

  it('ConsulDouble_blockingQuery_returnsOnChangeWithHigherIndex', async () => {
    await call('PUT', '/v1/kv/b/x', '1');
    const first = await call('GET', '/v1/kv/b/?recurse');
    const index = Number(first.headers.get('x-consul-index'));
    const idle = Date.now();
    const unchanged = await call('GET', `/v1/kv/b/?recurse&index=${index}&wait=200ms`);
    expect(Date.now() - idle).toBeGreaterThanOrEqual(190);
    expect(Number(unchanged.headers.get('x-consul-index'))).toBe(index);
    const blocked = call('GET', `/v1/kv/b/?recurse&index=${index}&wait=10s`);
    await call('PUT', '/v1/kv/b/y', '2');
    const changed = await blocked;
    expect(Number(changed.headers.get('x-consul-index'))).toBeGreaterThan(index);
    const items = (await changed.json()) as Array<{ Key: string; Value: string }>;
    expect(items.map((i) => [i.Key, Buffer.from(i.Value, 'base64').toString()])).toEqual([
      ['b/x', '1'],
      ['b/y', '2'],
    ]);
  });

  it('ConsulDouble_ttlCheck_turnsCriticalWhenNotPassed', async () => {
    const register = { ID: 's1', Name: 'svc', Tags: ['primary'], Port: 1, Check: { TTL: '10s' } };
    expect((await call('PUT', '/v1/agent/service/register', JSON.stringify(register))).status).toBe(200);
    expect(await (await call('GET', '/v1/health/service/svc?passing')).json()).toEqual([]);
    expect((await call('PUT', '/v1/agent/check/pass/service:s1?note=ok')).status).toBe(200);
    expect(((await (await call('GET', '/v1/health/service/svc?passing&tag=primary')).json()) as unknown[]).length).toBe(1);
    consul.state.sweep(Date.now() + 10_001);
    expect(await (await call('GET', '/v1/health/service/svc?passing')).json()).toEqual([]);
    expect((await call('PUT', '/v1/agent/service/deregister/s1')).status).toBe(200);
    expect((await call('PUT', '/v1/agent/service/deregister/s1')).status).toBe(404);
  });
});
