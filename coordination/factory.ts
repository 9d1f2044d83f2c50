import type { Logger } from '../common/logger.js';
import type { CoordinatorConfig } from './config.js';
import type { Coordinator } from './coordinator.js';

export interface CreateCoordinatorOptions {
  /** Cluster name; every key lives under `pilotfish/<cluster>/`. */
  cluster: string;
  /** This member's name, for log fields. */
  memberName?: string;
  logger: Logger;
}

/**
 * Builds the adapter named by the one key present in `coordinator:` (the schema guarantees there
 * is exactly one). Each adapter is loaded with dynamic import() so that an etcd deployment never
 * loads the Consul client and vice versa. Connects lazily: no store call happens here, so creation
 * never fails for an unreachable store.
 */
export async function createCoordinator(config: CoordinatorConfig, opts: CreateCoordinatorOptions): Promise<Coordinator> {
  const base = { component: 'coordinator', cluster: opts.cluster, ...(opts.memberName ? { member: opts.memberName } : {}) };
  if (config.etcd) {
    const { EtcdCoordinator } = await import('./etcd.js');
    const etcd = config.etcd;
    return new EtcdCoordinator({
      cluster: opts.cluster,
      endpoints: etcd.endpoints,
      ttlMs: etcd.ttl,
      timeoutMs: etcd.timeout,
      username: etcd.username,
      password: etcd.password,
      logger: opts.logger.child({ ...base, store: 'etcd' }),
    });
  }
  if (config.consul) {
    const { ConsulCoordinator } = await import('./consul.js');
    const consul = config.consul;
    return new ConsulCoordinator({
      cluster: opts.cluster,
      memberName: opts.memberName,
      address: consul.address,
      token: consul.token,
      datacenter: consul.datacenter,
      ttlMs: consul.ttl,
      lockDelayMs: consul.lockDelay,
      timeoutMs: consul.timeout,
      logger: opts.logger.child({ ...base, store: 'consul' }),
    });
  }
  throw new Error('coordinator config names no store; parse it with coordinatorSchema first');
}
