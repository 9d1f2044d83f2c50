import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../common/logger.js';
import type { Coordinator } from '../coordination/coordinator.js';
import { EtcdCoordinator } from '../coordination/etcd.js';
import { startEtcd } from '../test/support/etcd.js';
import { spawnTracked } from '../test/support/processes.js';

/**
 * Failover latency of the coordination layer on a real etcd: a holder process takes the leader key
 * with a 5 s lease and renews it every second, is SIGKILLed, and a contender in this process
 * measures the time from the kill until it holds the key. The contender watches the key and tries
 * at once when etcd deletes it at lease expiry, and also retries every RETRY_MS in case a watch
 * event is lost. Expected: about the TTL minus the time since the holder's last renewal (0–1 s),
 * plus etcd's expiry check granularity (500 ms). Prints one JSON line of figures.
 */

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const TTL_MS = 5000;
const RENEW_EVERY_MS = 1000;
const RETRY_MS = 250;
const RUN_LIMIT_MS = 3 * TTL_MS;
const holderScript = join(dirname(fileURLToPath(import.meta.url)), 'coordination-holder.js');

const leader = { member: 'contender', address: '127.0.0.1:3307', term: 2, since: new Date().toISOString() };

/** Resolves when `contender` holds the leader key: on the key's deletion event, or on a periodic retry. */
async function acquireAsap(contender: Coordinator): Promise<void> {
  const controller = new AbortController();
  const deadline = Date.now() + RUN_LIMIT_MS;
  let wake: (() => void) | undefined;
  const watching = (async () => {
    for await (const event of contender.watch('leader', controller.signal)) {
      if (event.type === 'delete') wake?.();
    }
  })().catch(() => undefined);
  try {
    while (!(await contender.tryAcquireLeader(leader))) {
      if (Date.now() > deadline) throw new Error(`contender did not get the lock within ${RUN_LIMIT_MS}ms`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, RETRY_MS);
      });
    }
  } finally {
    controller.abort();
    await watching;
  }
}

async function oneRun(endpoint: string, cluster: string, contender: Coordinator): Promise<number> {
  const holder = spawnTracked(process.execPath, [holderScript, endpoint, cluster, String(TTL_MS), String(RENEW_EVERY_MS)], {
    stdout: 'pipe',
    stderr: 'inherit',
  });
  const lines = createInterface({ input: holder.child.stdout as NodeJS.ReadableStream });
  const [line] = (await Promise.race([once(lines, 'line'), holder.exited.then(() => ['exited'])])) as [string];
  if (line !== 'holding') throw new Error(`holder did not take the lock (${line})`);
  if (await contender.tryAcquireLeader(leader)) throw new Error('contender took a lock the holder holds');
  // Let the holder renew at least once, so the kill lands at a random point of its renew cycle.
  await new Promise((resolve) => setTimeout(resolve, RENEW_EVERY_MS + Math.random() * RENEW_EVERY_MS));
  const killedAt = performance.now();
  await holder.kill();
  await acquireAsap(contender);
  const tookMs = performance.now() - killedAt;
  await contender.releaseLeader();
  return tookMs;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function main(): Promise<void> {
  const etcd = await startEtcd();
  const cluster = `bench-${process.pid}`;
  const contender = new EtcdCoordinator({ cluster, endpoints: [etcd.endpoint], ttlMs: TTL_MS, timeoutMs: 2000, logger: silentLogger() });
  const times: number[] = [];
  try {
    await contender.keepAlive();
    const renewer = setInterval(() => void contender.keepAlive().catch(() => undefined), RENEW_EVERY_MS);
    for (let run = 0; run < RUNS; run++) {
      const ms = await oneRun(etcd.endpoint, cluster, contender);
      times.push(ms);
      console.error(`run ${run + 1}/${RUNS}: ${Math.round(ms)} ms`);
    }
    clearInterval(renewer);
  } finally {
    await contender.close();
    await etcd.stop();
  }
  const sorted = [...times].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n);
  console.log(
    JSON.stringify({
      runs: times.length,
      ttl_ms: TTL_MS,
      p50_ms: round(percentile(sorted, 50)),
      p99_ms: round(percentile(sorted, 99)),
      max_ms: round(sorted.at(-1) as number),
    }),
  );
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
await main();
