import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3, type S3Handle } from '../../support/s3.js';
import { waitFor } from '../../support/wait.js';
import { TestCluster } from './cluster.js';

let cluster: TestCluster;
let s3: S3Handle;
beforeAll(async () => {
  s3 = await startS3();
  cluster = await TestCluster.create(2, {
    overrides: { objectStore: { s3: { bucket: s3.bucket, endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials } } },
  });
});
afterAll(async () => {
  await cluster?.destroy();
  await s3?.stop();
});

describe('Object store outage', () => {
  it('Backups_objectStoreDown_healthStaysUpAndBackupRetriesUntilItSucceeds', async () => {
    for (const name of cluster.names) cluster.start(name);
    await cluster.waitForHealthy(1);
    const before = (await cluster.status()).lastBackup!;
    const primary = await cluster.primary();
    const replica = cluster.names.find((n) => n !== primary)!;

    await s3.kill();
    const root = await cluster.root(primary);
    await root.query('FLUSH BINARY LOGS');
    await root.end();
    await waitFor('a failed backup attempt', () => cluster.logs(replica).includes('backup failed; will retry'), { timeoutMs: 20_000 });

    // every probe keeps answering 200 while the store is down
    const probes = [
      `http://127.0.0.1:${cluster.member(primary).statusPort}/health`,
      `http://127.0.0.1:${cluster.member(primary).statusPort}/primary`,
      `http://127.0.0.1:${cluster.member(replica).statusPort}/health`,
      `http://127.0.0.1:${cluster.member(replica).statusPort}/replica`,
    ];
    for (let round = 0; round < 10; round++) {
      const codes = await Promise.all(probes.map(async (url) => (await fetch(url)).status));
      expect(codes).toEqual([200, 200, 200, 200]);
      await new Promise((r) => setTimeout(r, 300));
    }
    expect((await cluster.status()).lastBackup!.id).toBe(before.id);

    await s3.start();
    const after = await waitFor('a backup after the store returned', async () => {
      const latest = (await cluster.status()).lastBackup;
      return latest && latest.id !== before.id ? latest : null;
    }, { timeoutMs: 40_000 });
    expect(after.id > before.id).toBe(true);
    expect((await cluster.status()).members.every((m) => m.healthy)).toBe(true);
  });
});
