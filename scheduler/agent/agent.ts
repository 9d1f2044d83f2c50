import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../common/logger.js';
import { delay } from '../../common/retry.js';
import { ApiClient } from '../api/client.js';
import { splitAddress } from '../http/address.js';
import { deriveMigrationKey } from '../migration/migrate-key.js';
import type { Allocation } from '../structs/index.js';
import { createAgentHttp } from './agent-http.js';
import { collectAllocDirs } from './alloc-gc.js';
import type { AllocRunner } from './alloc-runner.js';
import { AllocSync } from './alloc-sync.js';
import type { AgentConfig } from './config.js';
import { agentHooks } from './hook-list.js';
import { attachMigrationSource } from './migrate/attach-source.js';
import { MigrationSource } from './migrate/source.js';
import { loadIdentity } from './node-identity.js';
import { NodeRegistration } from './registration.js';
import { StatusReporter } from './reporter.js';
import { parseHostVolumes } from './volumes/host-volume-config.js';

/** A running agent. */
export interface Agent {
  readonly nodeId: string;
  /** The agent's own API address. */
  readonly httpAddress: string;
  /** Stops the agent's loops. Tasks keep running (a restarted agent reattaches to them). */
  close(): Promise<void>;
}

async function listen(http: Server, address: string): Promise<string> {
  const [host, port] = splitAddress(address);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => resolve());
  });
  const bound = http.address() as AddressInfo;
  return `${bound.address}:${bound.port}`;
}

/**
 * The node agent: restores the allocations it ran before a restart (reattaching to tasks that
 * still run), registers with its fingerprint and heartbeats (`registration.ts`), long-polls its
 * allocations and runs each through the ordered hooks of `hook-list.ts` (`alloc-sync.ts`),
 * reports their status, serves previous allocations' data to migrating allocations, and collects
 * old allocation directories. Every loop survives the server being unreachable: tasks keep
 * running, reports are kept and retried, and the agent re-registers if the server has forgotten it.
 */
export async function startAgent(config: AgentConfig, logger: Logger): Promise<Agent> {
  const allocsDir = join(config.dataDir, 'allocs');
  await mkdir(allocsDir, { recursive: true });
  const identity = await loadIdentity(config.dataDir);
  const log = logger.child({ component: 'agent', nodeId: identity.id });
  const name = config.name ?? hostname();
  const hostVolumes = parseHostVolumes(config.host_volume);

  const runners = new Map<string, AllocRunner>();
  const http = createAgentHttp(allocsDir, config.token, (id) => runners.has(id), log.child({ component: 'agent-http' }));
  const migrationSource = new MigrationSource({
    tokenKey: deriveMigrationKey(config.token),
    allocsDir,
    onServed: (event) => log.info(event, 'served migration snapshot'),
  });
  attachMigrationSource(http, migrationSource);
  const httpAddress = await listen(http, config.httpAddress);

  const base = new ApiClient({ address: config.server, token: config.token, timeoutMs: 10_000 });
  const registration = new NodeRegistration({ config, identity, base, name, httpAddress, hostVolumes, logger: log });
  const client = () => registration.client();
  const reporter = new StatusReporter(client, identity.id, log.child({ component: 'reporter' }));
  const hooks = agentHooks({
    client,
    nodeId: identity.id,
    allocsDir,
    migrationSource,
    hostVolumes,
    migrateWaitForDownNodeMs: config.migrateWaitForDownNode,
    diskWatchIntervalMs: config.diskWatchIntervalMs,
    diskHardLimitFactor: config.diskHardLimitFactor,
  });
  const allocs = new AllocSync({
    runners,
    allocsDir,
    nodeId: identity.id,
    registration,
    reporter,
    hooks,
    baseEnv: { PILOTFISH_DC: config.datacenter, PILOTFISH_NODE_NAME: name },
    logger: log,
  });
  await allocs.resumeFromDisk();

  const stop = new AbortController();
  const signal = stop.signal;
  const gcLog = log.child({ component: 'gc' });
  const gcLoop = async () => {
    while (!signal.aborted) {
      await delay(config.gc_interval, signal).catch(() => undefined);
      if (signal.aborted) return;
      await collectAllocDirs({
        allocsDir,
        config: { intervalMs: config.gc_interval, maxAllocs: config.gc_max_allocs, maxAgeMs: config.gc_max_age },
        fetchServerView: () =>
          client()
            .get<{ allocs: { alloc: Allocation }[]; keep?: string[] }>(`/v1/node/${identity.id}/allocations?index=0`, { signal })
            .then((v) => ({ allocs: v.allocs, keep: v.keep ?? [] })),
        runners: allocs.runners,
        forgetRunner: (id) => allocs.runners.delete(id),
        inFlight: (id) => migrationSource.inFlight(id),
        logger: gcLog,
      }).catch((err: unknown) => gcLog.warn({ err: String(err) }, 'garbage collection failed'));
    }
  };

  await registration.register(signal);
  const loops = [registration.heartbeatLoop(signal), allocs.watchLoop(signal), reporter.run(signal), gcLoop()];
  for (const runner of allocs.runners.values()) reporter.push(runner.report());

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
