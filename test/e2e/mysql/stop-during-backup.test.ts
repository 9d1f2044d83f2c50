import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait.js';
import { TestCluster } from './cluster.js';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.create(2);
});
afterAll(async () => {
  await cluster?.destroy();
});

describe('stopping a member while it takes a backup', () => {
  it('Stop_replicaSigtermDuringBackup_leavesTheCatalogAtOnceAndNoLockBehind', async () => {
    for (const name of cluster.names) cluster.start(name);
    await cluster.waitForHealthy(1, 60_000);
    const primary = await cluster.primary();
    const replica = cluster.names.find((n) => n !== primary)!;
    const coordinator = await cluster.coordinator();
    // Ask for a backup; the healthy replica takes it.
    const offset = cluster.logs(replica).length;
    const res = await fetch(`http://127.0.0.1:${cluster.member(replica).statusPort}/backup`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cluster.secret('status-token')}` },
    });
    expect(res.status).toBe(202);
    await waitFor(`${replica} taking a backup`, () => cluster.logs(replica).slice(offset).includes('taking a backup'), { timeoutMs: 15_000, intervalMs: 20 });
    const t0 = Date.now();
    cluster.supervisors.get(replica)!.signal('SIGTERM');
    await waitFor(`${replica} gone from the catalog`, async () => !(await coordinator.listMembers()).some((m) => m.name === replica), { timeoutMs: 2000, intervalMs: 50 });
    console.log(`replica deregistered ${Date.now() - t0} ms after SIGTERM while its backup was being aborted`);
    await cluster.supervisors.get(replica)!.exited;
    // The aborted backup leaves no lock of the replica behind: it is deleted, or goes with the
    // replica's session at the latest when that session's TTL runs out (the primary may hold it now).
    await waitFor('no backup lock of the stopped replica', async () => {
      const lock = await coordinator.get('backups/lock');
      return !lock || (JSON.parse(lock.value) as { member: string }).member !== replica;
    }, { timeoutMs: 7_000, intervalMs: 100 });
    expect(cluster.logs(replica).slice(offset)).toContain('aborting the running backup');
  });
});
