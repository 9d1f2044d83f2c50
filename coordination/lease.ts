import type { CoordinatorConfig } from './config.js';

/**
 * How long the coordination store really keeps a lease after its holder last renewed it, which is
 * not always the TTL written in the configuration. Every lease-derived timing of the supervisor
 * (fencing, the process watchdog, failover bounds) is computed from these two figures, in one
 * place (`supervisor/ha/lease-timings.ts`).
 */
export interface LeaseBounds {
  /**
   * The shortest time the store keeps the lease after a renewal it accepted. No other member can
   * acquire the lease before `renewal start + ttlMs`, so a primary that fences before then is
   * never writable beside another primary.
   */
  ttlMs: number;
  /**
   * The longest time a holder that stopped renewing can keep every other member from acquiring
   * the lease: how long a dead primary may block its successor.
   */
  maxTtlMs: number;
}

/** etcd grants leases in whole seconds: a TTL of 2.5s is a lease of 3s. */
export function etcdLease(ttlMs: number): LeaseBounds {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
  return { ttlMs: seconds * 1000, maxTtlMs: seconds * 1000 };
}

/**
 * Consul sessions take whole seconds too, and Consul invalidates a session only somewhere between
 * its TTL and twice its TTL (Consul docs, "Session TTL"); after that the lock delay keeps the lock
 * from being acquired again.
 */
export function consulLease(ttlMs: number, lockDelayMs: number): LeaseBounds {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
  return { ttlMs: seconds * 1000, maxTtlMs: 2 * seconds * 1000 + lockDelayMs };
}

/** The configured store's lease bounds, its TTL's dotted path and how long one call may take. */
export function configuredLease(config: CoordinatorConfig): { lease: LeaseBounds; ttlPath: string; timeoutMs: number; timeoutPath: string } | undefined {
  if (config.etcd) {
    return { lease: etcdLease(config.etcd.ttl), ttlPath: 'coordinator.etcd.ttl', timeoutMs: config.etcd.timeout, timeoutPath: 'coordinator.etcd.timeout' };
  }
  if (config.consul) {
    return {
      lease: consulLease(config.consul.ttl, config.consul.lockDelay),
      ttlPath: 'coordinator.consul.ttl',
      timeoutMs: config.consul.timeout,
      timeoutPath: 'coordinator.consul.timeout',
    };
  }
  return undefined;
}
