import { z } from 'zod';
import { durationMs } from '../common/config.js';

const url = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** Consul sessions accept TTLs from 10s to 24h (Consul API docs, /session/create). */
export const CONSUL_MIN_TTL_MS = 10_000;
export const CONSUL_MAX_TTL_MS = 86_400_000;

const etcdSchema = z.strictObject({
  endpoints: z.array(url).min(1, 'needs at least one endpoint, e.g. [http://127.0.0.1:2379]'),
  ttl: durationMs({ minMs: 2000, hint: 'etcd leases shorter than 2s expire before a renewal can land' }).default(5000),
  timeout: durationMs({ minMs: 100 }).default(2000),
  username: z.string().optional(),
  password: z.string().optional(),
}).refine((v) => (v.username === undefined) === (v.password === undefined), {
  message: 'set both username and password, or neither',
});

const consulSchema = z.strictObject({
  address: url.default('http://127.0.0.1:8500'),
  token: z.string().optional(),
  ttl: durationMs({
    minMs: CONSUL_MIN_TTL_MS,
    maxMs: CONSUL_MAX_TTL_MS,
    hint: 'Consul session TTLs range from 10s to 24h',
  }).default(15_000),
  lockDelay: durationMs({ maxMs: 60_000 }).default(1000),
  timeout: durationMs({ minMs: 100 }).default(2000),
  datacenter: z.string().optional(),
});

/**
 * The in-process coordinator of the unit tests is no choice here: each supervisor would hold its
 * own store, every member would win the lease, and the cluster would have as many primaries.
 */
const memoryRefused = z.custom<never>(() => false, {
  error: 'the in-memory coordinator exists only inside unit tests (each process would have its own store, so every member would win the lease); use coordinator.etcd or coordinator.consul',
});

/** `coordinator:` exactly one of `etcd`, `consul`. */
export const coordinatorSchema = z
  .strictObject({
    etcd: etcdSchema.optional(),
    consul: consulSchema.optional(),
    memory: memoryRefused.optional(),
  })
  .superRefine((value, ctx) => {
    const chosen = Object.entries(value).filter(([, v]) => v !== undefined);
    if (chosen.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `set exactly one of etcd, consul (found ${chosen.length === 0 ? 'none' : chosen.map(([k]) => k).join(', ')})`,
      });
    }
  });

export type CoordinatorConfig = z.output<typeof coordinatorSchema>;
export type EtcdConfig = z.output<typeof etcdSchema>;
export type ConsulConfig = z.output<typeof consulSchema>;
