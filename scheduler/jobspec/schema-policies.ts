import { z } from 'zod';
import { durationMs } from '../../common/config.js';

/**
 * Schemas of the policy blocks. Every field is optional here: omitted fields take the value of
 * the enclosing level (job → group → task) and finally Nomad's defaults (see `to-job.ts`).
 */

const count = z.number().int('must be a whole number').min(0, 'must not be negative');

/** `restart { attempts, interval, delay, mode }`. */
export const restartSchema = z.strictObject({
  attempts: count.optional(),
  interval: durationMs().optional(),
  delay: durationMs().optional(),
  mode: z.enum(['fail', 'delay']).optional(),
});

/** `reschedule { attempts, interval, delay, delay_function, max_delay, unlimited }`. */
export const rescheduleSchema = z.strictObject({
  attempts: count.optional(),
  interval: durationMs().optional(),
  delay: durationMs({ minMs: 5_000, hint: 'Nomad requires at least 5s' }).optional(),
  delay_function: z.enum(['constant', 'exponential', 'fibonacci']).optional(),
  max_delay: durationMs().optional(),
  unlimited: z.boolean().optional(),
});

/** `update { … }` basics; canaries are not supported, so `canary` must be 0. */
export const updateSchema = z.strictObject({
  max_parallel: count.optional(),
  health_check: z.enum(['checks', 'task_states', 'manual']).optional(),
  min_healthy_time: durationMs().optional(),
  healthy_deadline: durationMs().optional(),
  progress_deadline: durationMs().optional(),
  auto_revert: z.boolean().optional(),
  stagger: durationMs().optional(),
  canary: z.literal(0, { error: 'canary deployments are not supported; use 0 or remove the field' }).optional(),
});

/** `ephemeral_disk { size, sticky, migrate }`; size in MB, at least 10 as in Nomad. */
export const ephemeralDiskSchema = z.strictObject({
  size: z.number().int('must be a whole number of MB').min(10, 'must be at least 10 (MB)').optional(),
  sticky: z.boolean().optional(),
  migrate: z.boolean().optional(),
});

/**
 * `volume "<name>" { type = "host", source, read_only, per_alloc }`. With `per_alloc = true`
 * allocation index N uses the node's volume `source[N]` (Nomad semantics), so `source` itself must
 * not end in an index.
 */
export const volumeSchema = z
  .strictObject({
    type: z.literal('host', { error: 'only host volumes are supported (type = "host")' }).default('host'),
    source: z.string().min(1, 'is required'),
    read_only: z.boolean().default(false),
    per_alloc: z.boolean().default(false),
  })
  .superRefine((v, ctx) => {
    if (v.per_alloc && /\[\d*\]$/.test(v.source)) {
      ctx.addIssue({
        code: 'custom',
        path: ['source'],
        message: `${JSON.stringify(v.source)} already ends in an index; with per_alloc = true the allocation index is appended (source = "data" → data[0], data[1], …)`,
      });
    }
  });

/** `volume_mount { volume, destination, read_only }`. */
export const volumeMountSchema = z.strictObject({
  volume: z.string().min(1, 'is required'),
  destination: z.string().min(1, 'is required'),
  read_only: z.boolean().default(false),
});

/** `resources { cpu, memory, disk }` (MHz, MB; `disk` is Nomad's deprecated task disk and is rejected). */
export const resourcesSchema = z.strictObject({
  cpu: z.number().int('must be a whole number of MHz').min(1, 'must be at least 1 (MHz)').optional(),
  memory: z.number().int('must be a whole number of MB').min(10, 'must be at least 10 (MB)').optional(),
});
