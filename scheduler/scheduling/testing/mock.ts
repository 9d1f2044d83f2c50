import type { Allocation, Job, Node, Task, TaskGroup } from '../../structs/index.js';
import { DEFAULTS, defaultReschedulePolicy, defaultRestartPolicy } from '../../structs/index.js';

/**
 * Factories for nodes and jobs with Nomad's defaults, overridable field by field. For tests and
 * benchmarks only.
 */

let nodeSeq = 0;

/** A ready, eligible Linux node with the exec driver, 4000 MHz, 8 GiB memory, 100 GiB disk. */
export function mockNode(overrides: Partial<Node> = {}): Node {
  const n = ++nodeSeq;
  const id = overrides.id ?? `node-${String(n).padStart(5, '0')}`;
  return {
    id,
    name: overrides.name ?? id,
    datacenter: 'dc1',
    nodeClass: '',
    attributes: { 'kernel.name': 'linux', 'os.name': 'debian', 'cpu.arch': 'amd64', 'driver.exec': '1', 'unique.hostname': id },
    meta: {},
    resources: { cpuMhz: 4000, memoryMb: 8192, diskMb: 100 * 1024 },
    reserved: { cpuMhz: 0, memoryMb: 0, diskMb: 0 },
    drivers: { exec: { detected: true, healthy: true } },
    hostVolumes: {},
    status: 'ready',
    schedulingEligibility: 'eligible',
    drain: null,
    httpAddress: '127.0.0.1:0',
    statusUpdatedAtMs: 0,
    createTimeMs: 0,
    modifyTimeMs: 0,
    ...overrides,
  };
}

/** An exec task asking for 100 MHz and 256 MB. */
export function mockTask(overrides: Partial<Task> = {}): Task {
  return {
    name: 'web',
    driver: 'exec',
    config: { command: '/bin/sleep', args: ['3600'] },
    env: {},
    resources: { cpuMhz: 100, memoryMb: 256 },
    restart: defaultRestartPolicy('service'),
    constraints: [],
    affinities: [],
    volumeMounts: [],
    killTimeoutMs: DEFAULTS.killTimeoutMs,
    meta: {},
    ...overrides,
  };
}

/** A group of `count` (default 1) with one {@link mockTask}. */
export function mockGroup(overrides: Partial<TaskGroup> = {}): TaskGroup {
  return {
    name: 'web',
    count: 1,
    constraints: [],
    affinities: [],
    spreads: [],
    restart: defaultRestartPolicy('service'),
    reschedule: defaultReschedulePolicy('service'),
    update: null,
    ephemeralDisk: { sizeMb: DEFAULTS.ephemeralDiskMb, sticky: false, migrate: false },
    volumes: {},
    tasks: [mockTask()],
    meta: {},
    ...overrides,
  };
}

/** A service job `example` at version 0 with one {@link mockGroup}. */
export function mockJob(overrides: Partial<Job> = {}): Job {
  return {
    namespace: 'default',
    id: 'example',
    name: overrides.id ?? 'example',
    type: 'service',
    version: 0,
    priority: DEFAULTS.priority,
    datacenters: ['*'],
    constraints: [],
    affinities: [],
    spreads: [],
    groups: [mockGroup()],
    meta: {},
    stop: false,
    submitTimeMs: 0,
    ...overrides,
  };
}

/** A running allocation `<jobId>.app[<id>]` of `cpuMhz` on `nodeId`, 10 MB memory and disk. */
export function mockAlloc(
  id: string,
  nodeId: string,
  cpuMhz: number,
  overrides: Partial<Allocation> & { jobId?: string } = {},
): Allocation {
  const jobId = overrides.jobId ?? 'web';
  return {
    id,
    namespace: 'default',
    evalId: 'e',
    name: `${jobId}.app[${id}]`,
    nodeId,
    nodeName: nodeId,
    jobId,
    jobVersion: 0,
    taskGroup: 'app',
    resources: { cpuMhz, memoryMb: 10, diskMb: 10 },
    desiredStatus: 'run',
    desiredDescription: '',
    clientStatus: 'running',
    clientDescription: '',
    taskStates: {},
    previousAllocation: '',
    nextAllocation: '',
    rescheduleTracker: null,
    followupEvalId: '',
    metrics: null,
    createTimeMs: 0,
    modifyTimeMs: 0,
    ...overrides,
  };
}
