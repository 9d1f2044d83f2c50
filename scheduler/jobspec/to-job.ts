import type { Job, ReschedulePolicy, RestartPolicy, Task, TaskGroup, UpdateStrategy } from '../structs/index.js';
import { DEFAULT_UPDATE_STRATEGY, DEFAULTS, defaultReschedulePolicy, defaultRestartPolicy } from '../structs/index.js';
import type { RawGroup, RawJob, RawTask } from './schema-job.js';
import type { rescheduleSchema, restartSchema, updateSchema } from './schema-policies.js';
import type { z } from 'zod';

/**
 * Turns a validated raw job into a {@link Job}: blocks merge outwards-in (job `update` and
 * `reschedule` under the group's, group `restart` under the task's), omitted fields take Nomad's
 * defaults for the job type, units become `…Ms`/`…Mb` fields.
 */

type RawRestart = z.output<typeof restartSchema>;
type RawReschedule = z.output<typeof rescheduleSchema>;
type RawUpdate = z.output<typeof updateSchema>;

function restart(base: RestartPolicy, raw: RawRestart | undefined): RestartPolicy {
  if (!raw) return base;
  return {
    attempts: raw.attempts ?? base.attempts,
    intervalMs: raw.interval ?? base.intervalMs,
    delayMs: raw.delay ?? base.delayMs,
    mode: raw.mode ?? base.mode,
  };
}

function reschedule(base: ReschedulePolicy, raw: RawReschedule | undefined): ReschedulePolicy {
  if (!raw) return base;
  return {
    attempts: raw.attempts ?? base.attempts,
    intervalMs: raw.interval ?? base.intervalMs,
    delayMs: raw.delay ?? base.delayMs,
    delayFunction: raw.delay_function ?? base.delayFunction,
    maxDelayMs: raw.max_delay ?? base.maxDelayMs,
    unlimited: raw.unlimited ?? base.unlimited,
  };
}

function update(base: UpdateStrategy | null, raw: RawUpdate | undefined): UpdateStrategy | null {
  if (!raw) return base;
  const b = base ?? DEFAULT_UPDATE_STRATEGY;
  return {
    maxParallel: raw.max_parallel ?? b.maxParallel,
    healthCheck: raw.health_check ?? b.healthCheck,
    minHealthyTimeMs: raw.min_healthy_time ?? b.minHealthyTimeMs,
    healthyDeadlineMs: raw.healthy_deadline ?? b.healthyDeadlineMs,
    progressDeadlineMs: raw.progress_deadline ?? b.progressDeadlineMs,
    autoRevert: raw.auto_revert ?? b.autoRevert,
    staggerMs: raw.stagger ?? b.staggerMs,
  };
}

function toTask(name: string, raw: RawTask, groupRestart: RestartPolicy): Task {
  return {
    name,
    driver: raw.driver,
    config: raw.config,
    env: raw.env,
    resources: { cpuMhz: raw.resources.cpu ?? DEFAULTS.cpuMhz, memoryMb: raw.resources.memory ?? DEFAULTS.memoryMb },
    restart: restart(groupRestart, raw.restart),
    constraints: raw.constraint,
    affinities: raw.affinity,
    volumeMounts: raw.volume_mount.map((m) => ({ volume: m.volume, destination: m.destination, readOnly: m.read_only })),
    killTimeoutMs: raw.kill_timeout ?? DEFAULTS.killTimeoutMs,
    meta: raw.meta,
  };
}

function toGroup(name: string, raw: RawGroup, job: RawJob): TaskGroup {
  const groupRestart = restart(defaultRestartPolicy(job.type), raw.restart);
  return {
    name,
    count: raw.count,
    constraints: raw.constraint,
    affinities: raw.affinity,
    spreads: raw.spread,
    restart: groupRestart,
    reschedule: reschedule(reschedule(defaultReschedulePolicy(job.type), job.reschedule), raw.reschedule),
    update: update(update(null, job.update), raw.update),
    ephemeralDisk: {
      sizeMb: raw.ephemeral_disk.size ?? DEFAULTS.ephemeralDiskMb,
      sticky: raw.ephemeral_disk.sticky ?? false,
      migrate: raw.ephemeral_disk.migrate ?? false,
    },
    volumes: Object.fromEntries(Object.entries(raw.volume).map(([n, v]) => [n, { type: v.type, source: v.source, readOnly: v.read_only, ...(v.per_alloc ? { perAlloc: true } : {}) }])),
    tasks: Object.entries(raw.task).map(([n, t]) => toTask(n, t, groupRestart)),
    meta: raw.meta,
  };
}

/** Builds the job; `version` and `submitTimeMs` are 0 until the server stores it. */
export function toJob(id: string, raw: RawJob): Job {
  return {
    namespace: raw.namespace,
    id,
    name: raw.name ?? id,
    type: raw.type,
    version: 0,
    priority: raw.priority,
    datacenters: raw.datacenters,
    constraints: raw.constraint,
    affinities: raw.affinity,
    spreads: raw.spread,
    groups: Object.entries(raw.group).map(([n, g]) => toGroup(n, g, raw)),
    meta: raw.meta,
    stop: false,
    submitTimeMs: 0,
  };
}
