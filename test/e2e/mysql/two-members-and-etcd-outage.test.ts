import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait.js';
import { TestCluster } from './cluster.js';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.create(2);
  for (const name of cluster.names) cluster.start(name);
  await cluster.waitForHealthy(1);
  const conn = await cluster.app(await cluster.primary());
  await conn.query('CREATE TABLE t (id INT PRIMARY KEY)');
  await conn.end();
});
afterAll(async () => {
  await cluster?.destroy();
});

async function writable(conns: Map<string, mysql.Connection>): Promise<string[]> {
  const out: string[] = [];
  for (const [name, conn] of conns) {
    const [rows] = await conn.query('SELECT @@global.read_only AS ro');
    if (Number((rows as { ro: number }[])[0]?.ro) === 0) out.push(name);
  }
  return out;
}

describe('Two members and coordination outages', () => {
  it('Failover_twoMemberCluster_survivorTakesOver', async () => {
    // autopilot #81: with two members, the survivor must take over alone
    const old = await cluster.primary();
    const survivor = cluster.names.find((n) => n !== old)!;
    const mysqld = cluster.mysqldPid(old)!;
    const t0 = Date.now();
    cluster.supervisors.get(old)!.signal('SIGKILL');
    process.kill(mysqld, 'SIGKILL');
    await waitFor('the survivor accepts writes', async () => {
      const conn = await cluster.app(survivor);
      try {
        await conn.query('INSERT INTO t VALUES (1)');
        return true;
      } finally {
        await conn.end();
      }
    }, { timeoutMs: 30_000, intervalMs: 200 });
    console.log(`two-member failover: write acknowledged ${Date.now() - t0} ms after the kill`);
    cluster.start(old);
    await cluster.waitForHealthy(1, 60_000);
    expect(await cluster.primary()).toBe(survivor);
    await waitFor('row on the rejoined member', async () => (await cluster.count(old)) === 1, { timeoutMs: 15_000 });
  });

  it('Fencing_etcdStoppedFor30s_neverTwoWritableAndConverges', async () => {
    const conns = new Map<string, mysql.Connection>();
    for (const name of cluster.names) conns.set(name, await cluster.root(name));
    const primary = await cluster.primary();
    expect(await writable(conns)).toEqual([primary]);
    const etcd = cluster.etcd!;
    etcd.process.pause();
    const t0 = Date.now();
    let fencedAfterMs: number | null = null;
    let maxWritable = 0;
    while (Date.now() - t0 < 30_000) {
      const now = await writable(conns);
      maxWritable = Math.max(maxWritable, now.length);
      if (now.length === 0 && fencedAfterMs === null) fencedAfterMs = Date.now() - t0;
      await new Promise((r) => setTimeout(r, 200));
    }
    etcd.process.resume();
    console.log(`etcd stopped: primary read-only ${fencedAfterMs} ms after the store froze`);
    expect(maxWritable).toBeLessThanOrEqual(1);
    // ttl 5s - safety margin 1.5s, plus one sampling interval
    expect(fencedAfterMs).not.toBeNull();
    expect(fencedAfterMs!).toBeLessThan(5_000);
    const samplesAfter: number[] = [];
    await cluster.waitForHealthy(1, 60_000);
    for (let i = 0; i < 10; i++) {
      samplesAfter.push((await writable(conns)).length);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(samplesAfter.every((n) => n === 1)).toBe(true);
    const newPrimary = await cluster.primary();
    const conn = await cluster.app(newPrimary);
    await conn.query('INSERT INTO t VALUES (2)');
    await conn.end();
    for (const name of cluster.names) await waitFor(`rows on ${name}`, async () => (await cluster.count(name)) === 2, { timeoutMs: 15_000 });
    for (const c of conns.values()) await c.end();
  });
});
