import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlLocal } from '../../../recipes/mysql/local.js';
import { localSecrets } from '../../../supervisor/local/local-layout.js';
import { waitFor } from '../../support/wait.js';
import { TestCluster } from './cluster.js';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.create(3);
});
afterAll(async () => {
  await cluster?.destroy();
});

describe('MySQL cluster bootstrap', () => {
  it('Cluster_threeEmptyMembersAtOnce_oneInitialisesOthersRestoreAndReplicate', async () => {
    const t0 = Date.now();
    for (const name of cluster.names) cluster.start(name);
    const status = await cluster.waitForHealthy(2, 60_000);
    const readyMs = Date.now() - t0;
    console.log(`three healthy members after ${readyMs} ms`);
    expect(readyMs).toBeLessThan(60_000);
    expect(status.members.filter((m) => m.role === 'primary')).toHaveLength(1);

    // exactly one initialisation; the others restored the first backup instead (autopilot #22/#29)
    const logs = cluster.names.map((n) => cluster.logs(n));
    expect(logs.filter((l) => l.includes('initialising a new data set'))).toHaveLength(1);
    expect(logs.filter((l) => l.includes('no local data; restoring the latest backup'))).toHaveLength(2);
    expect(status.lastBackup).not.toBeNull();

    const primary = await cluster.primary();
    const conn = await cluster.app(primary);
    await conn.query('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))');
    await conn.query("INSERT INTO t VALUES (1, 'one')");
    await conn.end();
    for (const name of cluster.names.filter((n) => n !== primary)) {
      await waitFor(`row on ${name}`, async () => (await cluster.count(name)) === 1, { timeoutMs: 10_000 });
      // replicas refuse writes from the application
      const replica = await cluster.app(name);
      await expect(replica.query("INSERT INTO t VALUES (2, 'two')")).rejects.toThrow(/read-only|READ.ONLY/i);
      await replica.end();
    }
    // replicas hold no transaction of their own: every GTID was written by the primary's server id
    const primaryId = cluster.member(primary).serverId;
    const positions = await waitFor('equal positions', async () => {
      const all = (await cluster.status()).members.map((m) => m.position);
      return new Set(all).size === 1 ? all : null;
    }, { timeoutMs: 10_000 });
    expect(positions[0]).toMatch(new RegExp(`^0-${primaryId}-\\d+$`));
  });

  it('StatusApi_endpoints_answerByRoleAndRequireTokenForData', async () => {
    const primary = await cluster.primary();
    const replica = cluster.names.find((n) => n !== primary)!;
    const url = (name: string, path: string) => `http://127.0.0.1:${cluster.member(name).statusPort}${path}`;
    expect((await fetch(url(primary, '/primary'))).status).toBe(200);
    expect((await fetch(url(replica, '/primary'))).status).toBe(503);
    expect((await fetch(url(replica, '/replica?lag=5'))).status).toBe(200);
    expect((await fetch(url(primary, '/replica'))).status).toBe(503);
    expect((await fetch(url(replica, '/health'))).status).toBe(200);
    expect((await fetch(url(primary, '/status'))).status).toBe(401);
    expect((await fetch(url(primary, '/metrics'))).status).toBe(401);
    const auth = { headers: { authorization: `Bearer ${cluster.secret('status-token')}` } };
    const status = (await (await fetch(url(primary, '/status'), auth)).json()) as { role: string; holdsLease: boolean };
    expect(status).toMatchObject({ role: 'primary', holdsLease: true });
    const metrics = await (await fetch(url(primary, '/metrics'), auth)).text();
    expect(metrics).toContain('pilotfish_role{role="primary"} 1');
    expect(metrics).toMatch(/pilotfish_lease_renewals_total\{result="ok"\} [1-9]/);
  });

  it('Cluster_mysqldKilled_restartedAndBackInItsRole', async () => {
    const primary = await cluster.primary();
    const replica = cluster.names.find((n) => n !== primary)!;
    for (const name of [replica, primary]) {
      const pid = cluster.mysqldPid(name)!;
      process.kill(pid, 'SIGKILL');
      await waitFor(`${name} mysqld restarted`, () => {
        const now = cluster.mysqldPid(name);
        return now !== null && now !== pid;
      }, { timeoutMs: 30_000 });
      await cluster.waitForHealthy(2, 30_000);
    }
    expect(await cluster.primary()).toBe(primary);
    const conn = await cluster.app(primary);
    await conn.query("INSERT INTO t VALUES (3, 'three')");
    await conn.end();
    await waitFor('row 3 everywhere', async () => (await Promise.all(cluster.names.map((n) => cluster.count(n)))).every((c) => c === 2), { timeoutMs: 15_000 });
  });

  it('Cluster_sigterm_cleanShutdownDeregistersAndReleasesLease', async () => {
    const coordinator = await cluster.coordinator();
    const primary = await cluster.primary();
    const replica = cluster.names.find((n) => n !== primary)!;
    for (const name of [replica, primary]) {
      const proc = cluster.supervisors.get(name)!;
      const t0 = Date.now();
      proc.signal('SIGTERM');
      await waitFor(`${name} gone from the catalog`, async () => !(await coordinator.listMembers()).some((m) => m.name === name), { timeoutMs: 2000, intervalMs: 50 });
      if (name === primary) {
        await waitFor('lease released', async () => (await coordinator.getLeader())?.member !== primary, { timeoutMs: 2000, intervalMs: 50 });
      }
      console.log(`${name}: deregistered (and lease released) ${Date.now() - t0} ms after SIGTERM`);
      await proc.exited;
      expect(cluster.errorLog(name)).toMatch(/Shutdown complete/);
    }
    // both come back with their data; no crash recovery; one primary again
    const marks = Object.fromEntries(cluster.names.map((n) => [n, cluster.errorLog(n).length]));
    for (const name of [replica, primary]) cluster.start(name);
    await cluster.waitForHealthy(2, 60_000);
    for (const name of [replica, primary]) {
      const fresh = cluster.errorLog(name).slice(marks[name]);
      expect(fresh).not.toMatch(/crash recovery/i);
      expect(cluster.logs(name)).toContain('data directory holds data; keeping it');
    }
  });

  it('Secrets_neverInProcessArgumentsOrLogs', async () => {
    const secrets = localSecrets(mysqlLocal).map((name) => cluster.secret(name));
    const ps = (await execa('ps', ['-eww', '-o', 'args='])).stdout;
    const logs = cluster.allLogText();
    for (const secret of secrets) {
      expect(ps.includes(secret)).toBe(false);
      expect(logs.includes(secret)).toBe(false);
    }
  });
});
