import { z } from 'zod';
import { applyEnvOverrides, durationMs, envOverrideSources, parseConfig, readConfigFile } from '../common/config.js';
import { backupSchema, objectStoreSchema } from '../backup/config.js';
import { recipeConfigSchema } from '../recipes/registry.js';
import { coordinatorSchema } from '../coordination/config.js';
import { configuredLease } from '../coordination/lease.js';
import { leaseTimingProblems } from './ha/lease-timings.js';
import { secretsSchema } from '../secrets/config.js';

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'use lower-case letters, digits and dashes (at most 63), starting with a letter or digit');

/**
 * `pilotfish.yaml`: one file read by `supervise`, `status`, `backup`, `switchover` and `up`.
 * Every section is parsed once at start-up; durations come out as `…Ms` numbers.
 */
export const pilotfishConfigSchema = z
  .strictObject({
    cluster: name,
    member: z
      .strictObject({
        name,
        /** Address other members and clients use to reach this member's services. */
        host: z.string().default('127.0.0.1'),
        tags: z.array(z.string()).default([]),
        /** Higher wins ties between equally advanced failover candidates. */
        priority: z.number().int().default(0),
      })
      .optional(),
    coordinator: coordinatorSchema,
    secrets: secretsSchema,
    objectStore: objectStoreSchema.optional(),
    backup: backupSchema,
    ha: z
      .strictObject({
        loopWait: durationMs({ minMs: 100 }).default(1000),
        /** A primary that has not renewed by `ttl - safetyMargin` turns read-only. */
        safetyMargin: durationMs().default(1500),
        maxLagOnFailover: durationMs().default(10_000),
      })
      .prefault({}),
    status: z
      .strictObject({
        listen: z.string().regex(/^[^:]+:\d+$/, 'write it as host:port, e.g. 127.0.0.1:8008').default('127.0.0.1:8008'),
        /** SecretStore entry holding the bearer token for endpoints that change state or hand out data. */
        tokenSecret: z.string().default('status-token'),
      })
      .prefault({}),
    /** The application this member runs: one section named after its recipe (`recipes/registry.ts`). */
    recipe: recipeConfigSchema.optional(),
    log: z.strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info') }).prefault({}),
  })
  .superRefine((config, ctx) => {
    // Each field may be valid alone and the combination still fence a healthy primary on every
    // cycle, or let a frozen one outlive its lease.
    const store = configuredLease(config.coordinator);
    if (!store) return;
    const { lease, ttlPath, timeoutMs, timeoutPath } = store;
    const ha = { loopWaitMs: config.ha.loopWait, safetyMarginMs: config.ha.safetyMargin, maxLagOnFailoverMs: config.ha.maxLagOnFailover };
    for (const problem of leaseTimingProblems({ lease, ttlPath, renewTimeoutMs: timeoutMs, timeoutPath, ha })) {
      ctx.addIssue({ code: 'custom', path: problem.path.split('.'), message: problem.message });
    }
  });

export type PilotfishConfig = z.output<typeof pilotfishConfigSchema>;

const TOP_LEVEL_KEYS = Object.keys(pilotfishConfigSchema.shape);

/** Reads, overrides from `PILOTFISH_*` and validates `pilotfish.yaml`; throws one CONFIG_INVALID error. */
export async function loadPilotfishConfig(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Readonly<PilotfishConfig>> {
  const raw = applyEnvOverrides(await readConfigFile(path), env, TOP_LEVEL_KEYS);
  return parseConfig(pilotfishConfigSchema, raw, path, envOverrideSources(env, TOP_LEVEL_KEYS));
}
