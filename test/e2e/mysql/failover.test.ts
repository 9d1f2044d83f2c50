import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pilotfishBin } from '../../support/paths.js';
import { recordPid } from '../../support/processes.js';
import { waitFor } from '../../support/wait.js';
import { TestCluster } from './cluster.js';

let cluster: TestCluster;
let nextId = 1;
let oldPrimary = '';
beforeAll(async () => {
  cluster = await TestCluster.create(3);
  for (const name of cluster.names) cluster.start(name);
  await cluster.waitForHealthy(2);
  const conn = await cluster.app(await cluster.primary());
  await conn.query('CREATE TABLE t (id INT PRIMARY KEY)');
  await conn.end();
});
afterAll(async () => {
  await cluster?.destroy();
});

async function write(name: string): Promise<void> {
  const conn = await cluster.app(name);
  try {
    await conn.query('INSERT INTO t VALUES (?)', [nextId]);
    nextId++;
  } finally {
    await conn.end();
  }
}

/** Exited, or a zombie its frozen parent has not reaped yet. */
function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function converged(): Promise<void> {
  await waitFor(`${nextId - 1} rows everywhere`, async () => (await Promise.all(cluster.names.map((n) => cluster.count(n).catch(() => -1)))).every((c) => c === nextId - 1), { timeoutMs: 20_000 });
}

describe('MySQL failover', () => {
  it('Failover_primaryKilled_bestReplicaTakesOverAndOldPrimaryRejoins', async () => {
    const old = await cluster.primary();
    oldPrimary = old;
    for (let i = 0; i < 5; i++) await write(old);
    await converged();
    const t0 = Date.now();
    const mysqld = cluster.mysqldPid(old)!;
    cluster.supervisors.get(old)!.signal('SIGKILL');
    process.kill(mysqld, 'SIGKILL');
    const fresh = await waitFor('a new primary that accepts writes', async () => {
      const s = await cluster.status();
      const p = s.members.find((m) => m.role === 'primary' && m.healthy && m.name !== old);
      if (!p) return null;
      await write(p.name);
      return p.name;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    console.log(`failover from ${old} to ${fresh}: first write acknowledged ${Date.now() - t0} ms after the kill`);
    cluster.start(old);
    await cluster.waitForHealthy(2, 60_000);
    expect(await cluster.primary()).toBe(fresh);
    await converged();
  });

  it('Rejoin_errantTransaction_rebootstrapsFromBackupInsteadOfDiverging', async () => {
    const primary = await cluster.primary();
    // the former primary: it initialised the cluster and took the first backup itself
    const replica = oldPrimary;
    const root = await cluster.root(replica);
    // root bypasses read_only: an errant transaction written on the replica itself
    await root.query('CREATE TABLE app.errant (id INT PRIMARY KEY)');
    await root.end();
    await write(primary);
    await waitFor(`${replica} re-bootstrapped`, () => cluster.logs(replica).includes('re-bootstrapping from a backup; done'), { timeoutMs: 60_000 });
    await cluster.waitForHealthy(2, 60_000);
    const pid = cluster.mysqldPid(replica);
    if (pid) recordPid(pid);
    await converged();
    const conn = await cluster.root(replica);
    const [rows] = await conn.query("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA='app' AND TABLE_NAME='errant'");
    await conn.end();
    expect((rows as { n: number }[])[0]?.n).toBe(0);
    const memberDir = join(cluster.dir, 'members', replica);
    expect(readdirSync(memberDir).some((e) => e.startsWith('data.diverged-'))).toBe(true);
    expect(existsSync(join(memberDir, 'data'))).toBe(true);
  });

  it('Switchover_toNamedReplica_noWriteLost', async () => {
    const old = await cluster.primary();
    const target = cluster.names.filter((n) => n !== old).sort()[0]!;
    await write(old);
    const { stdout } = await execa(process.execPath, [pilotfishBin, 'switchover', '-c', cluster.configs.cluster, '--to', target]);
    console.log(stdout);
    expect(stdout).toContain(`to ${target}`);
    await cluster.waitForHealthy(2, 30_000);
    expect(await cluster.primary()).toBe(target);
    await write(target);
    await converged();
  });

  /**
   * Polls the old primary's read_only and the cluster until a new primary acknowledges a write.
   * `fencedAtMs` is when the old server was first seen read-only or gone (killed by the watchdog).
   */
  async function watchTakeover(old: string, t0: number, probeOld: boolean) {
    const root = probeOld ? await cluster.root(old) : null;
    let fencedAtMs: number | null = null;
    let newPrimaryAtMs: number | null = null;
    let fresh = '';
    while (Date.now() - t0 < 30_000 && newPrimaryAtMs === null) {
      if (root && fencedAtMs === null) {
        const readOnly = await root
          .query({ sql: 'SELECT @@global.read_only AS ro', timeout: 500 })
          .then(([rows]) => Number((rows as { ro: number }[])[0]?.ro) === 1, () => true);
        if (readOnly) fencedAtMs = Date.now() - t0;
      }
      const p = (await cluster.status()).members.find((m) => m.role === 'primary' && m.healthy && m.name !== old);
      if (p) {
        try {
          await write(p.name);
          newPrimaryAtMs = Date.now() - t0;
          fresh = p.name;
        } catch {
          // not writable yet
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    root?.destroy();
    return { fencedAtMs, newPrimaryAtMs, fresh };
  }

  it('Fencing_primarySupervisorFrozen_deadManEventMakesItReadOnlyBeforeNewPrimaryWrites', async () => {
    const old = await cluster.primary();
    const supervisor = cluster.supervisors.get(old)!;
    supervisor.pause();
    const { fencedAtMs, newPrimaryAtMs, fresh } = await watchTakeover(old, Date.now(), true);
    console.log(`frozen supervisor: ${old} read-only after ${fencedAtMs} ms, ${fresh} took its first write after ${newPrimaryAtMs} ms`);
    expect(fencedAtMs).not.toBeNull();
    expect(newPrimaryAtMs).not.toBeNull();
    expect(fencedAtMs!).toBeLessThan(newPrimaryAtMs!);
    supervisor.resume();
    await cluster.waitForHealthy(2, 30_000);
    expect(await cluster.primary()).toBe(fresh);
    await converged();
  });

  it('Fencing_primarySupervisorAndServerFrozen_watchdogKillsTheServerBeforeTakeover', async () => {
    const old = await cluster.primary();
    const supervisor = cluster.supervisors.get(old)!;
    const server = cluster.mysqldPid(old)!;
    // a client connection made before the freeze, with a write queued during it
    const stale = await cluster.app(old);
    supervisor.pause();
    process.kill(server, 'SIGSTOP');
    const t0 = Date.now();
    const queued = stale.query({ sql: 'INSERT INTO t VALUES (?)', values: [1_000_000], timeout: 60_000 }).then(() => 'committed', (err: Error) => err.message);
    const gone = waitFor('the old server killed', () => (processGone(server) ? Date.now() - t0 : null), { timeoutMs: 30_000, intervalMs: 20 });
    const { newPrimaryAtMs, fresh } = await watchTakeover(old, t0, false);
    const goneAtMs = await gone;
    console.log(`frozen supervisor and server: ${old} killed after ${goneAtMs} ms, ${fresh} took its first write after ${newPrimaryAtMs} ms`);
    expect(newPrimaryAtMs).not.toBeNull();
    expect(goneAtMs).toBeLessThan(newPrimaryAtMs!);
    process.kill(server, 'SIGCONT');
    supervisor.resume();
    expect(await queued).not.toBe('committed');
    stale.destroy();
    await cluster.waitForHealthy(2, 60_000);
    expect(await cluster.primary()).toBe(fresh);
    expect(cluster.logs(old)).toContain('the process watchdog killed the application');
    await converged();
    expect(await cluster.count(fresh)).toBe(nextId - 1);
  });
});
