import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../common/logger.js';
import { AllocService } from './alloc-service.js';
import { addAllocRoutes } from './api-allocs.js';
import { addJobRoutes } from './api-jobs.js';
import { addMigrateRoutes } from './api-migrate.js';
import { AclRegistry } from '../acl/acl-registry.js';
import { deriveMigrationKey } from '../migration/migrate-key.js';
import { addNodeRoutes } from './api-nodes.js';
import type { ServerConfig } from './config.js';
import { findNode, type ServerContext } from './context.js';
import { EvalBroker } from './eval-broker.js';
import { ServerGc } from './gc.js';
import { Heartbeats } from './heartbeats.js';
import { createHttpServer } from '../http/http-server.js';
import { Router } from '../http/router.js';
import { splitAddress } from '../http/address.js';
import { JobService } from './job-service.js';
import { NodeService } from './node-service.js';
import { StateStore } from './state-store.js';
import { Worker } from './worker.js';

/** A running scheduler server. */
export interface SchedulerServer {
  /** `host:port` the API listens on. */
  readonly address: string;
  readonly context: ServerContext;
  /** Stops workers, timers and the listener, and snapshots the state. */
  close(): Promise<void>;
}

/**
 * Starts the server: restores state from `dataDir`, re-queues pending evaluations, gives every
 * live node a fresh heartbeat timer, starts the workers and then the HTTP API (so nothing is
 * acknowledged before the state is loaded).
 */
export async function startServer(config: ServerConfig, logger: Logger): Promise<SchedulerServer> {
  // Policies are read first: a bad ACL config stops the server before it touches its state.
  const acl = config.acl ? await AclRegistry.load(config.acl) : undefined;
  const store = new StateStore(config.dataDir);
  const restored = store.restore();
  const broker = new EvalBroker();
  // The heartbeat timers call into the node service, which needs the timers: tie the knot late.
  const onExpire = { fire: (_nodeId: string): void => undefined };
  const heartbeats = new Heartbeats(config.heartbeatTtlMs, config.heartbeatGraceMs, config.failoverHeartbeatTtlMs, (nodeId) => onExpire.fire(nodeId));
  const nodeService = new NodeService(store, broker, heartbeats, logger.child({ component: 'nodes' }));
  onExpire.fire = (nodeId) => nodeService.expire(nodeId);
  const context: ServerContext = {
    store,
    broker,
    nodes: nodeService,
    jobs: new JobService(store, broker),
    allocs: new AllocService(store, broker, () => {
      nodeService.unblock();
      nodeService.completeDrains();
    }),
    findNode: (key) => findNode(store.nodes(), key),
  };
  for (const node of store.nodes()) if (node.status !== 'down') heartbeats.restored(node.id);
  for (const evaluation of store.evals()) if (evaluation.status === 'pending') broker.enqueue(evaluation);
  logger.info(
    { jobs: store.jobs().length, nodes: store.nodes().length, allocs: store.allocs().length, replayedOps: restored.ops },
    'state restored',
  );

  const gc = new ServerGc(store, config, logger.child({ component: 'gc' }));
  gc.start(config.gcIntervalMs);

  const stop = new AbortController();
  const workers = Array.from({ length: config.workers }, (_, i) =>
    new Worker(store, broker, logger.child({ component: 'worker', worker: i })).run(stop.signal),
  );

  const router = new Router();
  addJobRoutes(router, context);
  addNodeRoutes(router, context);
  addAllocRoutes(router, context);
  addMigrateRoutes(router, context, deriveMigrationKey(config.managementToken));
  const http: Server = createHttpServer(
    router,
    { managementToken: config.managementToken, nodeBySecret: (secret) => store.nodeBySecret(secret), aclBySecret: (secret) => acl?.resolve(secret) },
    logger.child({ component: 'http' }),
  );
  const [host, port] = splitAddress(config.address);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => resolve());
  });
  const bound = http.address() as AddressInfo;
  const address = `${bound.address}:${bound.port}`;
  logger.info({ address }, 'scheduler server listening');

  return {
    address,
    context,
    async close() {
      if (stop.signal.aborted) return;
      stop.abort();
      broker.close();
      heartbeats.close();
      gc.stop();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await Promise.allSettled(workers);
      store.compact();
      store.close();
    },
  };
}
