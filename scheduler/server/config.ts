import { z } from 'zod';
import { applyEnvOverrides, durationMs, parseConfig, readConfigFile } from '../../common/config.js';

/**
 * `server.yaml`:
 *
 * ```yaml
 * address: 127.0.0.1:4646        # HTTP API
 * dataDir: /var/lib/pilotfish/server
 * managementToken: <at least 16 characters>   # or PILOTFISH_MANAGEMENT_TOKEN
 * heartbeatTtl: 10s              # agents heartbeat within this
 * heartbeatGrace: 10s            # extra time before a silent node is marked down
 * failoverHeartbeatTtl: 5m       # after a server restart, how long known nodes have to heartbeat (Nomad failover_heartbeat_ttl)
 * workers: 1
 * logLevel: info
 * gcInterval: 5m                 # how often terminal allocations and evaluations are collected (Nomad job_gc_interval)
 * evalGcThreshold: 1h            # age past which finished evaluations and terminal allocations go (Nomad eval_gc_threshold)
 * batchEvalGcThreshold: 24h      # the same for batch jobs (Nomad batch_eval_gc_threshold)
 * ```
 */
export const serverConfigSchema = z
  .object({
    address: z
      .string()
      .regex(/^[^:\s]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:4646')
      .default('127.0.0.1:4646'),
    dataDir: z.string().min(1, 'must name a directory for the state'),
    managementToken: z.string().min(16, 'must be at least 16 characters; generate one with `openssl rand -hex 24`'),
    heartbeatTtlMs: durationMs({ minMs: 1000, hint: 'agents heartbeat at a third of it' }).default(10_000),
    heartbeatGraceMs: durationMs({ minMs: 0 }).default(10_000),
    failoverHeartbeatTtlMs: durationMs({ minMs: 1000, hint: 'time agents get to find a restarted server before their nodes are marked down' }).default(300_000),
    workers: z.number().int().min(1).max(16).default(1),
    gcIntervalMs: durationMs({ minMs: 1000, maxMs: 86_400_000 }).default(300_000),
    evalGcThresholdMs: durationMs({ minMs: 1000, hint: 'terminal allocations younger than this stay for inspection' }).default(3_600_000),
    batchEvalGcThresholdMs: durationMs({ minMs: 1000 }).default(86_400_000),
    schedulerAlgorithm: z.enum(['binpack', 'spread']).default('binpack'),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
    /** ACL client tokens and their policies (scheduler/acl/acl-registry.ts); absent = management token only. */
    acl: z
      .object({
        policies: z.record(z.string(), z.string().min(1)).default({}),
        tokens: z
          .array(z.object({ name: z.string().min(1), secret: z.string().min(16, 'must be at least 16 characters'), policies: z.array(z.string()) }).strict())
          .default([]),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The parsed, frozen server configuration. */
export type ServerConfig = z.output<typeof serverConfigSchema>;

/** Config keys that accept a duration under their YAML name without the `Ms` suffix. */
const DURATION_KEYS = ['heartbeatTtl', 'heartbeatGrace', 'failoverHeartbeatTtl', 'gcInterval', 'evalGcThreshold', 'batchEvalGcThreshold'] as const;

function renameDurations(raw: Record<string, unknown>): Record<string, unknown> {
  const out = { ...raw };
  for (const key of DURATION_KEYS) {
    if (key in out) {
      out[`${key}Ms`] = out[key];
      delete out[key];
    }
  }
  return out;
}

/** Reads, overrides (`PILOTFISH_MANAGEMENT_TOKEN`, `PILOTFISH_ADDRESS`, …) and validates `server.yaml`. */
export async function loadServerConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<ServerConfig> {
  const raw = await readConfigFile(path);
  const withEnv = applyEnvOverrides(raw, env, ['address', 'dataDir', 'managementToken', 'heartbeatTtl', 'heartbeatGrace', 'logLevel']);
  return parseConfig(serverConfigSchema, renameDurations(withEnv), path);
}
