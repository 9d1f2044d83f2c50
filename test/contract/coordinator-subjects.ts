import { silentLogger } from '../../common/logger.js';
import { ConsulCoordinator } from '../../coordination/consul.js';
import type { Coordinator } from '../../coordination/coordinator.js';
import { EtcdCoordinator } from '../../coordination/etcd.js';
import { MemoryCoordinator, MemoryStore } from '../../coordination/memory.js';
import { type ConsulHandle, startConsul } from '../support/consul.js';
import { type EtcdHandle, startEtcd } from '../support/etcd.js';

/**
 * The stores the coordinator contract suite runs against, each with the timing figures the suite
 * needs to keep its bounds honest for that store.
 */

export type Kind = 'etcd' | 'consul' | 'memory';

export interface MakeOptions {
  cluster: string;
  ttlMs?: number;
  timeoutMs?: number;
  member?: string;
}

/** A running store plus what the suite needs to drive it. */
export interface Backend {
  make(options: MakeOptions): Coordinator;
  /** Freezes the store (SIGSTOP, the double holding requests, memory marked unavailable). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
  /** Added to the subject's expiry bound: real Consul may invalidate a session up to 2×TTL late. */
  expirySlackMs: number;
  /** IDs of the services of that name passing their checks with `tag` (stores with a catalog only). */
  passingWithTag?(service: string, tag: string): Promise<string[]>;
}

export interface Subject {
  kind: Kind;
  /** TTL the expiry cases use: etcd 5 s (issue #2), Consul's minimum 10 s, memory 2 s. */
  expiryTtlMs: number;
  /** Latest acceptable time from the holder's last renewal to another member holding the lock. */
  expiryBoundMs: number;
  /** After close(), how soon another member may take the lock (Consul applies lock-delay). */
  releaseDelayMs: number;
  start(): Promise<Backend>;
}

const logger = silentLogger();
const CONSUL_LOCK_DELAY_MS = 1000;

async function etcdBackend(): Promise<Backend> {
  const etcd: EtcdHandle = await startEtcd();
  return {
    make: (o) =>
      new EtcdCoordinator({
        cluster: o.cluster,
        endpoints: [etcd.endpoint],
        ttlMs: o.ttlMs ?? 5000,
        timeoutMs: o.timeoutMs ?? 2000,
        logger,
      }),
    pause: () => etcd.process.pause(),
    resume: () => etcd.process.resume(),
    stop: () => etcd.stop(),
    expirySlackMs: 0,
  };
}

async function consulBackend(): Promise<Backend> {
  const consul: ConsulHandle = await startConsul();
  return {
    make: (o) =>
      new ConsulCoordinator({
        cluster: o.cluster,
        memberName: o.member,
        address: consul.address,
        ttlMs: o.ttlMs ?? 10_000,
        lockDelayMs: CONSUL_LOCK_DELAY_MS,
        timeoutMs: o.timeoutMs ?? 2000,
        logger,
      }),
    pause: () => consul.pause(),
    resume: () => consul.resume(),
    stop: () => consul.stop(),
    expirySlackMs: consul.real ? 10_000 : 0,
    async passingWithTag(service, tag) {
      const res = await fetch(`${consul.address}/v1/health/service/${service}?passing&tag=${tag}`);
      const entries = (await res.json()) as Array<{ Service: { ID: string } }>;
      return entries.map((e) => e.Service.ID);
    },
  };
}

async function memoryBackend(): Promise<Backend> {
  const store = new MemoryStore();
  return {
    make: (o) => new MemoryCoordinator({ cluster: o.cluster, ttlMs: o.ttlMs ?? 2000, store }),
    pause: () => store.setAvailable(false),
    resume: () => store.setAvailable(true),
    stop: async () => undefined,
    expirySlackMs: 0,
  };
}

export const SUBJECTS: Subject[] = [
  { kind: 'etcd', expiryTtlMs: 5000, expiryBoundMs: 5000 + 2000, releaseDelayMs: 1000, start: etcdBackend },
  {
    kind: 'consul',
    expiryTtlMs: 10_000,
    // The double invalidates at TTL; real Consul may take up to 2×TTL. Lock-delay follows either way.
    expiryBoundMs: 10_000 + CONSUL_LOCK_DELAY_MS + 2000,
    releaseDelayMs: CONSUL_LOCK_DELAY_MS + 1000,
    start: consulBackend,
  },
  { kind: 'memory', expiryTtlMs: 2000, expiryBoundMs: 2000 + 2000, releaseDelayMs: 1000, start: memoryBackend },
];
