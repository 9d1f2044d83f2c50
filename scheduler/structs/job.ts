/**
 * The job model shared by the jobspec parser, the pure scheduling core, the server and the agent.
 * Every type here is a plain, JSON-serialisable object: the server persists them as they are.
 * Durations are milliseconds (`…Ms`), sizes megabytes (`…Mb`), CPU in MHz as in Nomad.
 */

/** `service` jobs run forever and are rescheduled without limit; `batch` jobs run to completion. */
export type JobType = 'service' | 'batch';

/** Canonical constraint operators. Jobspec aliases (`==`, `is`, `not`, `set_contains_all`) are normalised to these. */
export const CONSTRAINT_OPERATORS = [
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'regexp',
  'version',
  'semver',
  'set_contains',
  'set_contains_any',
  'is_set',
  'is_not_set',
  'distinct_hosts',
  'distinct_property',
] as const;

/** A constraint operator after normalisation. */
export type ConstraintOperator = (typeof CONSTRAINT_OPERATORS)[number];

/** Operators usable in an `affinity` (Nomad allows every comparison but not the distinct_* ones). */
export type AffinityOperator = Exclude<ConstraintOperator, 'distinct_hosts' | 'distinct_property'>;

/**
 * A hard placement rule. `attribute` is a target such as `${attr.kernel.name}`, `${meta.rack}`,
 * `${node.datacenter}` or a literal; `value` is the right-hand side (a count for `distinct_property`,
 * empty when the operator takes none).
 */
export interface Constraint {
  attribute: string;
  operator: ConstraintOperator;
  value: string;
}

/** A soft placement preference; `weight` in [-100, 100], negative pushes placements away. */
export interface Affinity {
  attribute: string;
  operator: AffinityOperator;
  value: string;
  weight: number;
}

/** One desired share of a spread: allocations whose node has `value` should be `percent` of the group. */
export interface SpreadTarget {
  value: string;
  percent: number;
}

/**
 * Spread allocations over the values of `attribute` (e.g. `${meta.rack}`). Without targets the
 * allocations are spread evenly over the values seen on feasible nodes. `weight` in [0, 100].
 */
export interface Spread {
  attribute: string;
  weight: number;
  targets: SpreadTarget[];
}

/** Local restart policy the agent applies before it gives up and reports the allocation failed. */
export interface RestartPolicy {
  attempts: number;
  intervalMs: number;
  delayMs: number;
  /** `fail`: give up after `attempts` in `interval`; `delay`: wait for the interval to pass, then retry. */
  mode: 'fail' | 'delay';
}

/** Delay growth between reschedule attempts. */
export type DelayFunction = 'constant' | 'exponential' | 'fibonacci';

/** Server-side policy for replacing failed allocations on other nodes. */
export interface ReschedulePolicy {
  /** Attempts allowed within `intervalMs` (ignored when `unlimited`). */
  attempts: number;
  intervalMs: number;
  delayMs: number;
  delayFunction: DelayFunction;
  /** Upper bound on the computed delay (exponential/fibonacci). */
  maxDelayMs: number;
  unlimited: boolean;
}

/** Basics of Nomad's `update` block; destructive updates are limited to `maxParallel` at a time. */
export interface UpdateStrategy {
  /** 0 means all at once (no rolling update). */
  maxParallel: number;
  healthCheck: 'checks' | 'task_states' | 'manual';
  minHealthyTimeMs: number;
  healthyDeadlineMs: number;
  progressDeadlineMs: number;
  autoRevert: boolean;
  staggerMs: number;
}

/** Scratch disk of a group. `sticky` prefers the previous node, `migrate` moves the data. */
export interface EphemeralDisk {
  sizeMb: number;
  sticky: boolean;
  migrate: boolean;
}

/** A group's claim on a node's host volume of name `source`. */
export interface VolumeRequest {
  type: 'host';
  source: string;
  readOnly: boolean;
  /**
   * Nomad's `per_alloc`: allocation index N claims the node's volume `source[N]` instead of
   * `source` (see {@link volumeSourceFor}). Absent when false, so job versions stored before the
   * field existed compare equal to new ones.
   */
  perAlloc?: boolean;
}

/** The node volume name that allocation `index` of a group needs for `request`: `source` or, per_alloc, `source[index]`. */
export function volumeSourceFor(request: VolumeRequest, index: number): string {
  return request.perAlloc === true ? `${request.source}[${index}]` : request.source;
}

/** Where a task sees a requested volume. */
export interface VolumeMount {
  volume: string;
  destination: string;
  readOnly: boolean;
}

/** Resources one task asks for. */
export interface TaskResources {
  cpuMhz: number;
  memoryMb: number;
}

/** One process the agent runs. */
export interface Task {
  name: string;
  driver: string;
  config: Record<string, unknown>;
  env: Record<string, string>;
  resources: TaskResources;
  /** Resolved policy: the task's own block merged over the group's. */
  restart: RestartPolicy;
  constraints: Constraint[];
  affinities: Affinity[];
  volumeMounts: VolumeMount[];
  killTimeoutMs: number;
  meta: Record<string, string>;
}

/** A set of tasks placed together on one node, `count` times. */
export interface TaskGroup {
  name: string;
  count: number;
  constraints: Constraint[];
  affinities: Affinity[];
  spreads: Spread[];
  restart: RestartPolicy;
  /** Resolved policy: the group's block merged over the job's and the job type's defaults. */
  reschedule: ReschedulePolicy;
  /** `null` when neither the job nor the group has an `update` block. */
  update: UpdateStrategy | null;
  ephemeralDisk: EphemeralDisk;
  volumes: Record<string, VolumeRequest>;
  tasks: Task[];
  meta: Record<string, string>;
}

/** A submitted job at one version. */
export interface Job {
  namespace: string;
  id: string;
  name: string;
  type: JobType;
  /** Assigned by the server: 0 for the first submission, +1 for each change. */
  version: number;
  /** 1..100, default 50. */
  priority: number;
  /** Glob patterns are not supported; each entry is a datacenter name, `*` matches all. */
  datacenters: string[];
  constraints: Constraint[];
  affinities: Affinity[];
  spreads: Spread[];
  groups: TaskGroup[];
  meta: Record<string, string>;
  /** Set by `job stop`: the job remains in state but every allocation is stopped. */
  stop: boolean;
  /** Epoch ms of the submission that produced this version (set by the server). */
  submitTimeMs: number;
}
