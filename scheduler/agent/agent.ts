import { mkdir, readdir, readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isPilotfishError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { backoffDelayMs, delay } from '../../common/retry.js';
import { ApiClient } from '../api/client.js';
import type { Allocation, Job } from '../structs/index.js';
import { isTerminal } from '../structs/index.js';
import { splitAddress } from '../http/address.js';
import { allocDirOf, type AllocDir } from './alloc-dir.js';
import { isSameProcessAlive } from './proc.js';
import { AllocRunner, type PersistedAlloc } from './alloc-runner.js';
import { collectAllocDirs } from './alloc-gc.js';
import { allocDirHook } from './alloc-dir-hook.js';
import { diskWatcherHook } from './disk-hook.js';
import { attachMigrationSource } from './migrate/attach-source.js';
import { deriveMigrationKey } from '../migration/migrate-key.js';
import { migrationGuardHook } from './migrate/gc-guard-hook.js';
import { migrateHook } from './migrate/migrate-hook.js';
import { MigrationSource } from './migrate/source.js';
import { taskEnvHook } from './task-env.js';
import { parseHostVolumes } from './volumes/host-volume-config.js';
import { volumesHook } from './volumes/volumes-hook.js';
import { createAgentHttp } from './agent-http.js';
import type { AgentConfig } from './config.js';
import { fingerprint } from './fingerprint.js';
import { loadIdentity, saveIdentity, type NodeIdentity } from './node-identity.js';
import { StatusReporter } from './reporter.js';

/** Whether any of the allocation's tasks, as recorded in its pid files, still runs. */
async function anyTaskAlive(dir: AllocDir, tasks: readonly string[]): Promise<boolean> {
  for (const task of tasks) {
    try {
      const doc = JSON.parse(await readFile(dir.pidFile(task), 'utf8')) as { pid: number; startTime: string };
      if (isSameProcessAlive(doc.pid, doc.startTime)) return true;
    } catch {
      // no pid file: the task never started
    }
  }
  return false;
}

/** A 404 (unknown node) or 401/403 (secret not accepted) means the server must see a registration again. */
function needsRegistration(err: unknown): boolean {
  const status = isPilotfishError(err) ? (err.details as { status?: number } | undefined)?.status : undefined;
  return status === 404 || status === 401 || status === 403;
}

/** How long one allocation long-poll waits on the server. */
const WATCH_WAIT_MS = 20_000;

/** A running agent. */
export interface Agent {
  readonly nodeId: string;
  /** The agent's own API address. */
  readonly httpAddress: string;
  /** Stops the agent's loops. Tasks keep running (a restarted agent reattaches to them). */
  close(): Promise<void>;
}

/**
 * The node agent: restores the allocations it ran before a restart (reattaching to tasks that
 * still run), registers with its fingerprint, heartbeats at a third of the TTL the server
 * returns, long-polls its allocations, runs and stops them, and reports their status. Every
 * loop survives the server being unreachable: tasks keep running, reports are kept and retried,
 * and the agent re-registers if the server has forgotten it.
 */
export async function startAgent(config: AgentConfig, logger: Logger): Promise<Agent> {
  const allocsDir = join(config.dataDir, 'allocs');
  await mkdir(allocsDir, { recursive: true });
  const identity: NodeIdentity = await loadIdentity(config.dataDir);
  const log = logger.child({ component: 'agent', nodeId: identity.id });
  // The configured token registers the node; everything after uses the node's own secret, which
  // the server accepts only for this node's endpoints (least privilege for the long-lived loops).
  const base = new ApiClient({ address: config.server, token: config.token, timeoutMs: 10_000 });
  let nodeClient = identity.secretId ? base.withToken(identity.secretId) : base;
  const client = () => nodeClient;
  const runners = new Map<string, AllocRunner>();
  const reporter = new StatusReporter(client, identity.id, log.child({ component: 'reporter' }));
  const name = config.name ?? hostname();
  const baseEnv = { PILOTFISH_DC: config.datacenter, PILOTFISH_NODE_NAME: name };

  const hostVolumes = parseHostVolumes(config.host_volume);
  const http: Server = createAgentHttp(allocsDir, config.token, (id) => runners.has(id), log.child({ component: 'agent-http' }));
  // Part 2: previous allocations' data served to migrating allocations, and the hooks that use it.
  const migrationSource = new MigrationSource({
    tokenKey: deriveMigrationKey(config.token),
    allocsDir,
    onServed: (event) => log.info(event, 'served migration snapshot'),
  });
  attachMigrationSource(http, migrationSource);
  const hooks = {
    alloc: [
      migrationGuardHook(migrationSource),
      allocDirHook,
      migrateHook({ client: () => client(), nodeId: identity.id, allocsDir, waitDownNodeMs: config.migrateWaitForDownNode }),
      diskWatcherHook({ intervalMs: config.diskWatchIntervalMs, hardLimitFactor: config.diskHardLimitFactor }),
    ],
    task: [taskEnvHook, volumesHook(hostVolumes)],
  };
  const [host, port] = splitAddress(config.httpAddress);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => resolve());
  });
  const bound = http.address() as AddressInfo;
  const httpAddress = `${bound.address}:${bound.port}`;

  const addRunner = (alloc: Allocation, job: Job, restored?: PersistedAlloc) => {
    const runner = new AllocRunner(alloc, job, allocDirOf(allocsDir, alloc.id), log, (r) => reporter.push(r), baseEnv, restored, hooks);
    runners.set(alloc.id, runner);
    runner.start();
    if (alloc.desiredStatus !== 'run') void runner.stop();
  };

  // Resume what ran before a restart, before the server is even asked.
  for (const entry of await readdir(allocsDir).catch(() => [] as string[])) {
    try {
      const doc = JSON.parse(await readFile(allocDirOf(allocsDir, entry).allocFile, 'utf8')) as PersistedAlloc;
      if (doc.alloc.desiredStatus !== 'run' || doc.clientStatus === 'complete' || doc.clientStatus === 'failed') continue;
      // Only allocations with a task still running are resumed blind; the others wait for the
      // server's word, which may be that they were replaced while this agent was away.
      if (!(await anyTaskAlive(allocDirOf(allocsDir, entry), Object.keys(doc.taskStates)))) continue;
      addRunner(doc.alloc, doc.job, doc);
      log.info({ allocId: doc.alloc.id, alloc: doc.alloc.name }, 'restored allocation from disk');
    } catch {
      // not an allocation directory, or written half by a crash: the server's view wins below
    }
  }

  const stop = new AbortController();
  const signal = stop.signal;
  let heartbeatMs = 1_000;

  const register = async () => {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const fp = await fingerprint(config.dataDir, config.resources);
        const out = await base.post<{ nodeId: string; secretId: string; heartbeatTtlMs: number }>('/v1/node/register', {
          node: {
            id: identity.id,
            name,
            datacenter: config.datacenter,
            nodeClass: config.nodeClass,
            attributes: fp.attributes,
            meta: config.meta,
            resources: { cpuMhz: fp.cpuMhz, memoryMb: fp.memoryMb, diskMb: fp.diskMb },
            reserved: { cpuMhz: config.reserved.cpuMhz ?? 0, memoryMb: config.reserved.memoryMb ?? 0, diskMb: config.reserved.diskMb ?? 0 },
            drivers: { exec: { detected: true, healthy: true } },
            hostVolumes,
            httpAddress,
          },
        });
        heartbeatMs = Math.max(200, Math.floor(out.heartbeatTtlMs / 3));
        if (out.secretId && out.secretId !== identity.secretId) {
          identity.secretId = out.secretId;
          await saveIdentity(config.dataDir, identity);
        }
        nodeClient = base.withToken(identity.secretId);
        log.info({ name, httpAddress, heartbeatMs }, 'registered with the server');
        return;
      } catch (err) {
        const waitMs = backoffDelayMs(attempt, { initialMs: 250, maxMs: 5_000, jitter: 0.2 });
        if (attempt % 10 === 0) log.warn({ err: String(err), waitMs }, 'cannot register; will retry');
        await delay(waitMs, signal).catch(() => undefined);
      }
    }
  };

  const heartbeatLoop = async () => {
    while (!signal.aborted) {
      await delay(heartbeatMs, signal).catch(() => undefined);
      if (signal.aborted) return;
      try {
        const out = await client().put<{ heartbeatTtlMs: number }>(`/v1/node/${identity.id}/heartbeat`);
        heartbeatMs = Math.max(200, Math.floor(out.heartbeatTtlMs / 3));
      } catch (err) {
        // The server lost this node or its secret (state reset): register again.
        if (needsRegistration(err)) await register();
        else log.debug({ err: String(err) }, 'heartbeat failed');
      }
    }
  };

  const reconcile = (entries: { alloc: Allocation; job: Job }[]) => {
    const listed = new Set<string>();
    for (const { alloc, job } of entries) {
      listed.add(alloc.id);
      const runner = runners.get(alloc.id);
      if (runner) {
        runner.update(alloc);
        continue;
      }
      if (!isTerminal(alloc) && job) addRunner(alloc, job);
    }
    for (const [id, runner] of runners) if (!listed.has(id) && !runner.terminal) void runner.stop();
  };

  const watchLoop = async () => {
    let index = 0;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const out = await client().get<{ index: number; allocs: { alloc: Allocation; job: Job }[] }>(
          `/v1/node/${identity.id}/allocations?index=${index}&waitMs=${WATCH_WAIT_MS}`,
          { timeoutMs: WATCH_WAIT_MS + 10_000, signal },
        );
        failures = 0;
        if (out.index !== index) reconcile(out.allocs);
        // A server restarted from an older snapshot may go back in index: start over.
        index = out.index < index ? 0 : out.index;
      } catch (err) {
        if (signal.aborted) return;
        failures += 1;
        if (failures === 1 || failures % 20 === 0) log.warn({ err: String(err) }, 'cannot watch allocations; tasks keep running; will retry');
        if (needsRegistration(err)) await register();
        await delay(backoffDelayMs(failures, { initialMs: 250, maxMs: 5_000, jitter: 0.2 }), signal).catch(() => undefined);
      }
    }
  };

  const gcLoop = async () => {
    const gcLog = log.child({ component: 'gc' });
    while (!signal.aborted) {
      await delay(config.gc_interval, signal).catch(() => undefined);
      if (signal.aborted) return;
      await collectAllocDirs({
        allocsDir,
        config: { intervalMs: config.gc_interval, maxAllocs: config.gc_max_allocs, maxAgeMs: config.gc_max_age },
        fetchServerView: () => client().get<{ allocs: { alloc: Allocation }[]; keep?: string[] }>(`/v1/node/${identity.id}/allocations?index=0`, { signal }).then((v) => ({ allocs: v.allocs, keep: v.keep ?? [] })),
        runners,
        forgetRunner: (id) => runners.delete(id),
        inFlight: (id) => migrationSource.inFlight(id),
        logger: gcLog,
      }).catch((err: unknown) => gcLog.warn({ err: String(err) }, 'garbage collection failed'));
    }
  };

  await register();
  const loops = [heartbeatLoop(), watchLoop(), reporter.run(signal), gcLoop()];
  for (const runner of runners.values()) reporter.push(runner.report());

  return {
    nodeId: identity.id,
    httpAddress,
    async close() {
      stop.abort();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await Promise.allSettled(loops);
    },
  };
}
