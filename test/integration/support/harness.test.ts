import { afterAll, describe, expect, it } from 'vitest';
import { startEtcd } from '../../support/etcd.js';
import { startMariadb } from '../../support/mariadb.js';
import { startS3 } from '../../support/s3.js';

describe('test harness', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('harness_startsRealEtcd_andPauseMakesItUnresponsive', async () => {
    const etcd = await startEtcd();
    cleanups.push(etcd.stop);
    expect((await fetch(`${etcd.endpoint}/health`)).ok).toBe(true);
    etcd.process.pause();
    await expect(fetch(`${etcd.endpoint}/health`, { signal: AbortSignal.timeout(500) })).rejects.toThrow();
    etcd.process.resume();
    expect((await fetch(`${etcd.endpoint}/health`)).ok).toBe(true);
  });

  it('harness_startsRealMariadb_thatAnswersQueries', async () => {
    const db = await startMariadb();
    cleanups.push(db.stop);
    const conn = await db.connect();
    const [rows] = await conn.query('SELECT VERSION() AS v');
    await conn.end();
    expect((rows as Array<{ v: string }>)[0]?.v).toMatch(/MariaDB/);
  });

  it('harness_startsS3Endpoint_andKillStopsIt', async () => {
    const s3 = await startS3();
    cleanups.push(s3.stop);
    expect((await fetch(s3.endpoint)).status).toBeGreaterThan(0);
    await s3.kill();
    await expect(fetch(s3.endpoint, { signal: AbortSignal.timeout(500) })).rejects.toThrow();
  });
});
