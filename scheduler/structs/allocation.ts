/**
 * Allocations: one instance of a task group placed on a node. Plain JSON objects.
 */

/** What the server wants: `run`, `stop` (removed, replaced or job stopped), `evict` (drain/migrate). */
export type DesiredStatus = 'run' | 'stop' | 'evict';

/** What the agent reports, or `lost` when the server decided the node is gone. */
export type ClientStatus = 'pending' | 'running' | 'complete' | 'failed' | 'lost';

/** One reschedule that led to this allocation. */
export interface RescheduleEvent {
  rescheduleTimeMs: number;
  prevAllocId: string;
  prevNodeId: string;
  /** Delay that was applied before this replacement was placed. */
  delayMs: number;
}

/** History of reschedules carried from allocation to replacement. */
export interface RescheduleTracker {
  events: RescheduleEvent[];
}

/** One entry of a task's lifecycle, reported by the agent. */
export interface TaskEvent {
  type: string;
  timeMs: number;
  message: string;
  exitCode?: number;
}

/** A task's state as reported by the agent. */
export interface TaskState {
  state: 'pending' | 'running' | 'dead';
  failed: boolean;
  restarts: number;
  lastRestartMs: number;
  startedAtMs: number;
  finishedAtMs: number;
  events: TaskEvent[];
}

/** Resources reserved on the node for this allocation (sum over tasks, plus ephemeral disk). */
export interface AllocatedResources {
  cpuMhz: number;
  memoryMb: number;
  diskMb: number;
}

/** Why and how a placement was made (or could not be made), as in Nomad's AllocMetric. */
export interface AllocMetrics {
  nodesEvaluated: number;
  nodesFiltered: number;
  nodesAvailable: Record<string, number>;
  /** Counts per reason a node was filtered (`constraint ${attr.x} = y`, `missing driver exec`, …). */
  constraintFiltered: Record<string, number>;
  nodesExhausted: number;
  /** Counts per exhausted dimension (`cpu`, `memory`, `disk`). */
  dimensionExhausted: Record<string, number>;
  /** Final normalised score of the chosen node and its parts (`binpack`, `job-anti-affinity`, …). */
  scoreMetaData: { nodeId: string; normScore: number; scores: Record<string, number> }[];
}

/** One placed instance of a task group. */
export interface Allocation {
  id: string;
  namespace: string;
  evalId: string;
  /** `job.group[index]`. */
  name: string;
  nodeId: string;
  nodeName: string;
  jobId: string;
  jobVersion: number;
  taskGroup: string;
  resources: AllocatedResources;
  desiredStatus: DesiredStatus;
  desiredDescription: string;
  clientStatus: ClientStatus;
  clientDescription: string;
  taskStates: Record<string, TaskState>;
  /** The allocation this one replaces (reschedule, destructive update, migration). */
  previousAllocation: string;
  /** Set on the old allocation when its replacement is placed. */
  nextAllocation: string;
  rescheduleTracker: RescheduleTracker | null;
  /** Id of the delayed evaluation that will reschedule this failed allocation. */
  followupEvalId: string;
  metrics: AllocMetrics | null;
  createTimeMs: number;
  modifyTimeMs: number;
}
