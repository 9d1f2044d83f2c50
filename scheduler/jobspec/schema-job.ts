import { z } from 'zod';
import { durationMs } from '../../common/config.js';
import { affinitySchema, constraintSchema, spreadSchema } from './schema-placement.js';
import {
  ephemeralDiskSchema,
  rescheduleSchema,
  resourcesSchema,
  restartSchema,
  updateSchema,
  volumeMountSchema,
  volumeSchema,
} from './schema-policies.js';

/**
 * Schema of a whole job file in the canonical block shape (see `blocks.ts`): exactly one
 * `job "<id>"` with groups and tasks. Objects are strict, so an unknown or unsupported field is an
 * error at its own path.
 */

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
const nameKey = z.string().regex(NAME, 'names may use letters, digits, "_", "-" and "." (at most 128), starting with a letter or digit');
const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v)));

const placement = {
  constraint: z.array(constraintSchema).default([]),
  affinity: z.array(affinitySchema).default([]),
};

/** `task "<name>" { … }`. */
export const taskSchema = z.strictObject({
  driver: z.string({ error: 'is required (e.g. driver = "exec")' }).min(1, 'is required (e.g. driver = "exec")'),
  config: z.record(z.string(), z.unknown()).default({}),
  env: stringMap.default({}),
  meta: stringMap.default({}),
  resources: resourcesSchema.default({}),
  restart: restartSchema.optional(),
  volume_mount: z.array(volumeMountSchema).default([]),
  kill_timeout: durationMs().optional(),
  ...placement,
});

/** `group "<name>" { … }`. */
export const groupSchema = z.strictObject({
  count: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative').default(1),
  ...placement,
  spread: z.array(spreadSchema).default([]),
  restart: restartSchema.optional(),
  reschedule: rescheduleSchema.optional(),
  update: updateSchema.optional(),
  ephemeral_disk: ephemeralDiskSchema.default({}),
  volume: z.record(nameKey, volumeSchema).default({}),
  meta: stringMap.default({}),
  task: z.record(nameKey, taskSchema).refine((t) => Object.keys(t).length > 0, 'a group needs at least one task'),
});

/** `job "<id>" { … }`. */
export const jobSchema = z.strictObject({
  name: z.string().optional(),
  namespace: z.string().regex(NAME, 'is not a valid namespace name').default('default'),
  type: z
    .string()
    .default('service')
    .refine((t) => t === 'service' || t === 'batch', { message: 'must be "service" or "batch" (system and sysbatch jobs are not supported)' })
    .transform((t) => t as 'service' | 'batch'),
  priority: z.number().int('must be a whole number').min(1).max(100).default(50),
  datacenters: z.array(z.string().min(1)).min(1, 'must list at least one datacenter').default(['*']),
  ...placement,
  spread: z.array(spreadSchema).default([]),
  update: updateSchema.optional(),
  reschedule: rescheduleSchema.optional(),
  meta: stringMap.default({}),
  group: z.record(nameKey, groupSchema, { error: 'is required: a job needs at least one group' }).refine((g) => Object.keys(g).length > 0, 'a job needs at least one group'),
});

/** The file: `{ job: { "<id>": … } }` with exactly one job. */
export const fileSchema = z.strictObject({
  job: z
    .record(nameKey, jobSchema, { error: 'is required: the file must contain job "<id>" { … }' })
    .refine((j) => Object.keys(j).length === 1, 'the file must contain exactly one job'),
});

export type RawFile = z.output<typeof fileSchema>;
export type RawJob = z.output<typeof jobSchema>;
export type RawGroup = z.output<typeof groupSchema>;
export type RawTask = z.output<typeof taskSchema>;
