import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import type { Allocation, Node } from '../../../scheduler/structs/index.js';
import { pilotfishBin } from '../../support/paths.js';
import { killRecorded, processesMentioning, spawnTracked } from '../../support/processes.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

/**
 * compose/scheduler/mysql.hcl under pilotfish's own scheduler, through `pilotfish up mysql
 * --scheduler --nodes 6` (racks r1, r2, r3, r1, r2, r3: every member has a free rack-mate). A
 * writer inserts sequence numbers through whichever member answers /primary; the primary's node is
 * drained; its supervisor hands over on SIGTERM, the member comes back on another node with its
 * data migrated, rejoins as a replica without a restore, and every acknowledged write is on the
 * final primary. Then `up` is stopped and run again: every member resumes its own data.
 */
const tmp = tempDir('pf-sched-mysql-');
const stateDir = join(tmp.path, 'state');
const upLog = join(tmp.path, 'up.out');

let upPid: number | undefined;

afterAll(() => {
  // `up` first: it would restart the processes it keeps
  if (upPid !== undefined) killRecorded(upPid);
  for (const pid of processesMentioning(tmp.path)) killRecorded(pid);
  tmp.remove();
}, 60_000);

interface Layout {
  scheduler: { serverPort: number; appPortBase: number; statusPortBase: number };
}

describe('MySQL job on the local scheduler', () => {
  it('MysqlJob_drainPrimaryNodeThenUpAgain_memberMigratesMembersResumeNoAckedWriteLost', async () => {
    const t0 = Date.now();
    const up = spawnTracked(process.execPath, [pilotfishBin, 'up', 'mysql', '--scheduler', '--nodes', '6', '--dir', stateDir], { cwd: tmp.path, logFile: upLog });
    upPid = up.pid;
    const primaryUrl = await waitFor('the primary line', () => /^primary: (mysql:\/\/\S+)$/m.exec(readFileSync(upLog, 'utf8'))?.[1], { timeoutMs: 180_000, intervalMs: 500 });
    console.log(`primary line after ${Date.now() - t0} ms`);
    const layout = JSON.parse(readFileSync(join(stateDir, 'up.json'), 'utf8')) as Layout;
    const token = readFileSync(join(stateDir, 'secrets', 'scheduler-token'), 'utf8').trim();
    const api = async <T>(path: string, method = 'GET', body?: unknown): Promise<T> => {
      const res = await fetch(`http://127.0.0.1:${layout.scheduler.serverPort}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await res.json()) as T;
    };
    const password = new URL(primaryUrl).password;
    const members = [0, 1, 2];
    const primaryIndex = async (): Promise<number | null> => {
      for (const i of members) {
        const res = await fetch(`http://127.0.0.1:${layout.scheduler.statusPortBase + i}/primary`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
        if (res?.status === 200) return i;
      }
      return null;
    };
    const connect = (i: number) =>
      mysql.createConnection({ host: '127.0.0.1', port: layout.scheduler.appPortBase + i, user: 'app', password, database: 'app', connectTimeout: 2000 });

    // every member running and replicating before the drain
    // waitFor wants a truthy value: wrap the index (db-1 is 0)
    const first = await connect((await waitFor('a primary', async () => ((p) => (p === null ? undefined : { p }))(await primaryIndex()), { timeoutMs: 30_000 })).p);
    await first.query('CREATE TABLE seq (n INT PRIMARY KEY)');
    await first.end();
    await waitFor(
      'three running allocations and two replicas with the table',
      async () => {
        const allocs = (await api<Allocation[]>('/v1/job/mysql/allocations')).filter((a) => a.clientStatus === 'running');
        if (allocs.length !== 3) return false;
        for (const i of members) {
          const c = await connect(i).catch(() => null);
          if (!c) return false;
          const ok = await c.query('SELECT COUNT(*) FROM seq').then(() => true, () => false);
          await c.end();
          if (!ok) return false;
        }
        return true;
      },
      { timeoutMs: 60_000 },
    );

    // the writer: one insert at a time through whoever answers /primary; acked = committed
    const acked: number[] = [];
    let attempts = 0;
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) {
        n++;
        attempts++;
        const p = await primaryIndex();
        if (p === null) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        const c = await connect(p).catch(() => null);
        if (!c) continue;
        try {
          await c.query({ sql: 'INSERT INTO seq VALUES (?)', timeout: 3000 }, [n]);
          acked.push(n);
        } catch {
          // not acknowledged: may or may not be there, never counted
        } finally {
          c.destroy();
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await waitFor('some acknowledged writes', () => acked.length >= 20, { timeoutMs: 30_000 });

    const { p: oldPrimary } = await waitFor('the primary before the drain', async () => ((p) => (p === null ? undefined : { p }))(await primaryIndex()), { timeoutMs: 30_000 });
    const allocs = await api<Allocation[]>('/v1/job/mysql/allocations');
    const victim = allocs.find((a) => a.clientStatus === 'running' && a.name === `mysql.db[${oldPrimary}]`)!;
    const nodes = await api<Node[]>('/v1/nodes');
    const oldNode = nodes.find((n) => n.id === victim.nodeId)!;
    const drainAt = Date.now();
    await api(`/v1/node/${victim.nodeId}/drain`, 'POST', { enable: true, deadlineMs: 0 });

    const replacement = await waitFor(
      'the replacement running',
      async () => (await api<Allocation[]>('/v1/job/mysql/allocations')).find((a) => a.previousAllocation === victim.id && a.clientStatus === 'running'),
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    const { p: newPrimary } = await waitFor(
      'a primary after the drain',
      async () => {
        const p = await primaryIndex();
        return p === null || p === oldPrimary ? undefined : { p };
      },
      { timeoutMs: 60_000 },
    );
    const logFile = join(stateDir, 'scheduler', replacement.nodeName, 'allocs', replacement.id, 'alloc', 'logs', 'mysql.stdout.0');
    await waitFor(
      'the moved member replicating',
      async () => {
        const res = await fetch(`http://127.0.0.1:${layout.scheduler.statusPortBase + oldPrimary}/replica`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
        return res?.status === 200;
      },
      { timeoutMs: 120_000 },
    );
    const movedAt = Date.now();
    const afterMove = acked.length;
    await waitFor('writes after the move', () => acked.length >= afterMove + 20, { timeoutMs: 60_000 });
    writing = false;
    await writer;

    const events = replacement.taskStates.mysql?.events ?? [];
    const newNode = nodes.find((n) => n.id === replacement.nodeId)!;
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    const final = await connect(newPrimary);
    const [rows] = await final.query('SELECT n FROM seq');
    await final.end();
    const present = new Set((rows as { n: number }[]).map((r) => r.n));
    const missing = acked.filter((n) => !present.has(n));
    console.log(
      JSON.stringify({
        oldPrimary: `db-${oldPrimary + 1}`,
        newPrimary: `db-${newPrimary + 1}`,
        from: `${oldNode.name}/${oldNode.meta.rack}`,
        to: `${newNode.name}/${newNode.meta.rack}`,
        drainToReplicaMs: movedAt - drainAt,
        attempts,
        acked: acked.length,
        missing: missing.length,
        events: events.map((e) => e.type),
      }),
    );
    expect(replacement.nodeId).not.toBe(victim.nodeId);
    expect(newNode.meta.rack).toBe(oldNode.meta.rack);
    expect(events.some((e) => e.type === 'Migrated')).toBe(true);
    expect(events.some((e) => e.type === 'DataLost')).toBe(false);
    expect(log).toContain('data directory holds data; keeping it');
    expect(log).not.toContain('restoring the latest backup');
    expect(missing).toEqual([]);

    // Ctrl-C (SIGTERM here) stops everything cleanly
    process.kill(up.pid, 'SIGTERM');
    await waitFor('up stopped', () => readFileSync(upLog, 'utf8').includes('pilotfish up: stopped'), { timeoutMs: 120_000 });
    await waitFor('no process left', () => processesMentioning(tmp.path).length === 0, { timeoutMs: 20_000 });

    // A second `up` resumes every member with its own data: each new allocation takes over the
    // last stopped allocation of its name (same node), nothing is restored from a backup, and every
    // acknowledged write is on every member.
    const upLog2 = join(tmp.path, 'up2.out');
    const t1 = Date.now();
    const again = spawnTracked(process.execPath, [pilotfishBin, 'up', 'mysql', '--scheduler', '--nodes', '6', '--dir', stateDir], { cwd: tmp.path, logFile: upLog2 });
    upPid = again.pid;
    await waitFor('the primary line of the second run', () => /^primary: /m.test(readFileSync(upLog2, 'utf8')), { timeoutMs: 180_000, intervalMs: 500 });
    const stopped = await api<Allocation[]>('/v1/job/mysql/allocations');
    const resumed = await waitFor(
      'three resumed allocations running',
      async () => {
        const list = (await api<Allocation[]>('/v1/job/mysql/allocations')).filter((a) => a.desiredStatus === 'run' && a.clientStatus === 'running');
        return list.length === 3 ? list : undefined;
      },
      { timeoutMs: 60_000 },
    );
    for (const a of resumed) {
      const prev = stopped.find((b) => b.id === a.previousAllocation);
      expect(prev?.name).toBe(a.name);
      expect(a.nodeId).toBe(prev?.nodeId);
      const types = (a.taskStates.mysql?.events ?? []).map((e) => e.type);
      expect(types).toContain('Migrated');
      expect(types).not.toContain('DataLost');
      const memberLog = join(stateDir, 'scheduler', a.nodeName, 'allocs', a.id, 'alloc', 'logs', 'mysql.stdout.0');
      expect(existsSync(memberLog) ? readFileSync(memberLog, 'utf8') : '').not.toContain('restoring the latest backup');
    }
    for (const i of members) {
      await waitFor(
        `db-${i + 1} holding every acknowledged write`,
        async () => {
          const c = await connect(i).catch(() => null);
          if (!c) return false;
          const [rows] = await c.query('SELECT n FROM seq').catch(() => [[]]);
          await c.end();
          const present = new Set((rows as { n: number }[]).map((r) => r.n));
          return acked.every((n) => present.has(n));
        },
        { timeoutMs: 60_000 },
      );
    }
    console.log(`[figure] second up --scheduler: members resumed with every acknowledged write after ${Date.now() - t1} ms`);
    process.kill(again.pid, 'SIGTERM');
    await waitFor('second up stopped', () => readFileSync(upLog2, 'utf8').includes('pilotfish up: stopped'), { timeoutMs: 120_000 });
    await waitFor('no process left after the second run', () => processesMentioning(tmp.path).length === 0, { timeoutMs: 20_000 });
  }, 600_000);
});
