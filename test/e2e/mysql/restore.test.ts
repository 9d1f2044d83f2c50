import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait.js';
import { TestCluster } from './cluster.js';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.create(3);
});
afterAll(async () => {
  await cluster?.destroy();
});

async function insertRows(primary: string, from: number, count: number): Promise<void> {
  const conn = await cluster.app(primary);
  const values = Array.from({ length: count }, (_, i) => `(${from + i})`).join(',');
  await conn.query(`INSERT INTO t (id) VALUES ${values}`);
  await conn.end();
}

describe('MySQL restore from backups', () => {
  it('Replica_restoredFromOlderBackup_catchesUpThroughGtid', async () => {
    cluster.start('db-1');
    cluster.start('db-2');
    await cluster.waitForHealthy(1);
    const first = (await cluster.status()).lastBackup!;
    const primary = await cluster.primary();
    const conn = await cluster.app(primary);
    await conn.query('CREATE TABLE t (id INT PRIMARY KEY)');
    await conn.end();
    await insertRows(primary, 1, 100);
    // db-3 starts from the first backup, which has neither the table nor the rows (autopilot #71)
    cluster.start('db-3');
    await cluster.waitForHealthy(2);
    expect(cluster.logs('db-3')).toContain(first.id);
    await waitFor('100 rows on db-3', async () => (await cluster.count('db-3')) === 100, { timeoutMs: 15_000 });
    const errors = cluster.errorLog('db-3');
    expect(errors).not.toMatch(/Duplicate entry|database exists|Error_code/i);
    const status = await cluster.status();
    expect(status.members.every((m) => m.healthy)).toBe(true);
  });

  it('Cluster_wholeClusterLost_freshMembersRestoreLastBackup', async () => {
    const primary = await cluster.primary();
    await insertRows(primary, 101, 50);
    const before = (await cluster.status()).lastBackup!;
    // a binary log rotation on the primary asks for a backup; a replica takes it
    const root = await cluster.root(primary);
    await root.query('FLUSH BINARY LOGS');
    await root.end();
    const latest = await waitFor('a new backup', async () => {
      const s = await cluster.status();
      return s.lastBackup && s.lastBackup.id !== before.id ? s.lastBackup : null;
    }, { timeoutMs: 30_000 });
    const coordinator = await cluster.coordinator();
    const latestRecord = JSON.parse((await coordinator.get('backups/latest'))!.value) as { member: string };
    expect(latestRecord.member).not.toBe(primary);

    await Promise.all(cluster.names.map(async (name) => {
      const proc = cluster.supervisors.get(name)!;
      proc.signal('SIGTERM');
      await proc.exited;
    }));
    for (const name of cluster.names) rmSync(cluster.member(name).dataDir, { recursive: true, force: true });
    for (const name of cluster.names) cluster.start(name);
    const t0 = Date.now();
    const status = await cluster.waitForHealthy(2, 90_000);
    console.log(`whole cluster restored from ${latest.id} in ${Date.now() - t0} ms`);
    expect(status.members.filter((m) => m.role === 'primary')).toHaveLength(1);
    for (const name of cluster.names) {
      expect(cluster.logs(name)).toContain(latest.id);
      expect(await cluster.count(name)).toBe(150);
    }
    // and the restored cluster accepts and replicates writes
    const newPrimary = await cluster.primary();
    await insertRows(newPrimary, 151, 1);
    await waitFor('151 rows everywhere', async () => (await Promise.all(cluster.names.map((n) => cluster.count(n)))).every((c) => c === 151), { timeoutMs: 15_000 });
  });
});
