/**
 * Chaos benchmark: a 3-member cluster through `pilotfish up`, writers (one routed through
 * `/primary`, one pinned to each member's port), a read_only sampler, and one fault per round,
 * cycling through: SIGKILL of the primary's supervisor and mysqld; SIGSTOP of its supervisor;
 * SIGSTOP of both; SIGKILL of mysqld; SIGTERM of the supervisor; a switchover. Then every write any
 * member acknowledged must be on the final primary and all members' tables must be equal.
 *
 * ROUNDS (default 20), REPLICATION_MODE (async | semisync); PILOTFISH_BENCH_KEEP=1 keeps the
 * cluster directory and its logs. Prints one final JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { ClusterHandle, signal } from './failover/cluster-handle.js';
import { Sampler, Writer } from './failover/writers.js';
import { log, percentile, sleep, until } from './support.js';

const ROUNDS = Number(process.env.ROUNDS ?? 20);
const MODE = process.env.REPLICATION_MODE === 'semisync' ? 'semisync' : 'async';
const BIN = fileURLToPath(new URL('../bin/pilotfish.js', import.meta.url));
const FAULTS = ['kill-both', 'stop-supervisor', 'stop-both', 'kill-mysqld', 'sigterm', 'switchover'] as const;
type Fault = (typeof FAULTS)[number];

async function injectFault(cluster: ClusterHandle, fault: Fault, primary: string, configFile: string): Promise<() => void> {
  const sup = cluster.supervisorPid(primary);
  const db = cluster.mysqldPid(primary);
  switch (fault) {
    case 'kill-both':
      signal(sup, 'SIGKILL');
      signal(db, 'SIGKILL');
      return () => undefined; // `up` restarts the supervisor, which starts mysqld again
    case 'stop-supervisor':
      signal(sup, 'SIGSTOP');
      return () => signal(sup, 'SIGCONT');
    case 'stop-both':
      signal(sup, 'SIGSTOP');
      signal(db, 'SIGSTOP');
      return () => {
        signal(db, 'SIGCONT');
        signal(sup, 'SIGCONT');
      };
    case 'kill-mysqld':
      signal(db, 'SIGKILL');
      return () => undefined;
    case 'sigterm':
      signal(sup, 'SIGTERM');
      return () => undefined;
    case 'switchover':
      await execa(process.execPath, [BIN, 'switchover', '-c', configFile], { reject: false });
      return () => undefined;
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pf-bench-'));
  const env = { ...process.env, PILOTFISH_HA__LOOP_WAIT: '500ms' };
  const up: ResultPromise = execa(process.execPath, [BIN, 'up', 'mysql', '--dir', dir, '--replication-mode', MODE], { env, reject: false, stdout: 'pipe', stderr: 'inherit' });
  const configFile = join(dir, 'pilotfish.yaml');
  try {
    await until('the first primary', async () => (await import('node:fs')).existsSync(join(dir, 'up.json')) && new ClusterHandle(dir).primary(), 120_000);
    const cluster = new ClusterHandle(dir);
    await until('three healthy members', () => cluster.healthy(), 120_000);
    const first = (await cluster.primary())!;
    const setup = await cluster.app(first);
    await setup.query('CREATE TABLE seq (id BIGINT PRIMARY KEY, writer BIGINT NOT NULL)');
    await setup.end();

    const router = new Writer(cluster, 0, () => cluster.primary());
    const pinned = cluster.names.map((name, i) => new Writer(cluster, (i + 1) * 1_000_000_000, async () => name));
    const sampler = new Sampler(cluster);
    for (const w of [router, ...pinned]) w.start();
    sampler.start();

    const byFault: Record<string, { rounds: number; recovered: number; unavailableMs: number[] }> = {};
    const failovers: number[] = [];
    const switchovers: number[] = [];
    let recoveredRounds = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const fault = FAULTS[round % FAULTS.length] as Fault;
      const stats = (byFault[fault] ??= { rounds: 0, recovered: 0, unavailableMs: [] });
      stats.rounds++;
      const primary = await until('a primary before the fault', () => cluster.primary(), 60_000);
      if (!primary) break;
      await sleep(1000);
      const faultAt = Date.now();
      const restore = await injectFault(cluster, fault, primary, configFile);
      // unavailability: first failed routed write after the fault → first acknowledged one after
      // that failure (on whichever member is primary by then); 0 when no write failed at all
      const firstFailure = await until('a failed routed write', async () => router.failures.find((t) => t >= faultAt) ?? null, 15_000);
      const firstAck = firstFailure === null
        ? { atMs: faultAt }
        : await until('a routed write after the failure', async () => router.acks.find((a) => a.atMs > firstFailure) ?? null, 60_000);
      const unavailable = firstAck ? firstAck.atMs - (firstFailure ?? faultAt) : null;
      restore();
      const recovered = await until('three healthy members again', () => cluster.healthy(), 90_000);
      if (unavailable !== null) {
        stats.unavailableMs.push(unavailable);
        (fault === 'switchover' ? switchovers : failovers).push(unavailable);
      }
      if (recovered) {
        stats.recovered++;
        recoveredRounds++;
      }
      log(`round ${round + 1}/${ROUNDS} ${fault} on ${primary}: writes unavailable ${unavailable ?? 'n/a'} ms, recovered ${recovered ? 'yes' : 'NO'}`);
    }

    for (const w of [router, ...pinned]) await w.stop();
    await sampler.stop();
    await until('three healthy members at the end', () => cluster.healthy(), 90_000);
    const final = (await cluster.primary())!;
    // replicas catch up: wait until every member has the primary's row count
    const count = async (name: string) => {
      const c = await cluster.app(name);
      try {
        const [rows] = await c.query({ sql: 'SELECT COUNT(*) AS n FROM seq', timeout: 5000 });
        return Number((rows as { n: number }[])[0]?.n);
      } finally {
        await c.end();
      }
    };
    const target = await count(final);
    await until('replicas caught up', async () => (await Promise.all(cluster.names.map(count))).every((n) => n === target), 60_000);
    const conn = await cluster.app(final);
    const [rows] = await conn.query({ sql: 'SELECT id FROM seq', timeout: 30_000 });
    await conn.end();
    const present = new Set((rows as { id: string | number }[]).map((r) => Number(r.id)));
    const acked = [router, ...pinned].flatMap((w) => w.acks);
    const lost = acked.filter((a) => !present.has(a.id));
    const checksums = await Promise.all(
      cluster.names.map(async (name) => {
        try {
          const c = await cluster.root(name);
          const [r] = await c.query({ sql: 'CHECKSUM TABLE app.seq', timeout: 30_000 });
          await c.end();
          return String((r as { Checksum: string | number }[])[0]?.Checksum);
        } catch (err) {
          return `unavailable: ${(err as Error).message}`;
        }
      }),
    );
    const summary = {
      mode: MODE,
      rounds: ROUNDS,
      recovered_rounds: recoveredRounds,
      acked_writes: acked.length,
      lost_acked_writes: lost.length,
      lost_by_member: Object.fromEntries(cluster.names.map((n) => [n, lost.filter((l) => l.member === n).length])),
      split_brain_samples: sampler.splitBrainSamples,
      sampler_samples: sampler.samples,
      tables_equal: new Set(checksums).size === 1,
      failover_ms_p50: percentile(failovers, 50),
      failover_ms_p99: percentile(failovers, 99),
      failover_ms_max: failovers.length ? Math.max(...failovers) : null,
      switchover_ms_p50: percentile(switchovers, 50),
      by_fault: Object.fromEntries(
        Object.entries(byFault).map(([k, v]) => [k, { rounds: v.rounds, recovered: v.recovered, unavailable_ms_p50: percentile(v.unavailableMs, 50), unavailable_ms_max: v.unavailableMs.length ? Math.max(...v.unavailableMs) : null }]),
      ),
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    up.kill('SIGINT');
    await up;
    if (process.env.PILOTFISH_BENCH_KEEP === '1') log(`cluster state and logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
