import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsulDouble, type ConsulDouble } from '../../support/consul-double.js';
import { waitFor } from '../../support/wait.js';
import { TestCluster } from './cluster.js';

let cluster: TestCluster;
let consul: ConsulDouble;
beforeAll(async () => {
  consul = await startConsulDouble();
  cluster = await TestCluster.create(3, { overrides: { coordinator: { consul: { address: consul.address, ttl: '10s', lockDelay: '0s' } } } });
});
afterAll(async () => {
  await cluster?.destroy();
  await consul?.close();
});

describe('MySQL cluster through Consul', () => {
  it('Cluster_consul_bootstrapsAndTagsServicesByRole', async () => {
    for (const name of cluster.names) cluster.start(name);
    await cluster.waitForHealthy(2, 90_000);
    const primary = await cluster.primary();
    const conn = await cluster.app(primary);
    await conn.query('CREATE TABLE t (id INT PRIMARY KEY)');
    await conn.query('INSERT INTO t VALUES (1)');
    await conn.end();
    for (const name of cluster.names) await waitFor(`row on ${name}`, async () => (await cluster.count(name)) === 1, { timeoutMs: 10_000 });
    // one service per cluster, tagged by role, with passing TTL checks: primary.local.service.consul resolves to the primary
    await waitFor('service tags', () => {
      const services = [...consul.state.services.values()];
      const tagged = services.filter((s) => s.Service === 'local');
      return tagged.length === 3 && tagged.filter((s) => s.Tags.includes('primary')).length === 1 && tagged.filter((s) => s.Tags.includes('replica')).length === 2;
    }, { timeoutMs: 10_000 });
    const primaryService = [...consul.state.services.values()].find((s) => s.Tags.includes('primary'))!;
    expect(primaryService.Port).toBe(cluster.member(primary).port);
    const checks = [...consul.state.checks.values()];
    expect(checks.length).toBeGreaterThanOrEqual(3);
    expect(checks.every((c) => c.Status === 'passing')).toBe(true);
  });
});
