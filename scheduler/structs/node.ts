/**
 * Nodes as the server stores them and the scheduler sees them. Plain JSON objects.
 */

/** `initializing` until the first fingerprint is complete; `down` once the heartbeat TTL passed. */
export type NodeStatus = 'initializing' | 'ready' | 'down';

/** Whether new allocations may be placed on the node (independent of its status). */
export type SchedulingEligibility = 'eligible' | 'ineligible';

/** Capacity of one node (what the fingerprint found, minus nothing). */
export interface NodeResources {
  cpuMhz: number;
  memoryMb: number;
  diskMb: number;
}

/** A driver found by the fingerprint; only detected and healthy drivers accept tasks. */
export interface DriverInfo {
  detected: boolean;
  healthy: boolean;
}

/** A directory the agent offers to jobs under a name. */
export interface HostVolume {
  path: string;
  readOnly: boolean;
}

/** A drain in progress: allocations are migrated off; the node is ineligible meanwhile. */
export interface DrainStrategy {
  /** Epoch ms after which remaining allocations are stopped regardless; 0 = no deadline. */
  deadlineMs: number;
  startedAtMs: number;
}

/** A client node. */
export interface Node {
  id: string;
  name: string;
  datacenter: string;
  nodeClass: string;
  /** Fingerprinted attributes: `kernel.name`, `os.name`, `cpu.arch`, `driver.exec`, `unique.hostname`, … */
  attributes: Record<string, string>;
  /** Operator metadata, e.g. `rack`. */
  meta: Record<string, string>;
  resources: NodeResources;
  /** Held back for the OS and the agent; not schedulable. */
  reserved: NodeResources;
  drivers: Record<string, DriverInfo>;
  hostVolumes: Record<string, HostVolume>;
  status: NodeStatus;
  schedulingEligibility: SchedulingEligibility;
  /** Present while a drain is in progress. */
  drain: DrainStrategy | null;
  /** `host:port` of the agent's HTTP endpoint (used for migrating data between agents). */
  httpAddress: string;
  statusUpdatedAtMs: number;
  createTimeMs: number;
  modifyTimeMs: number;
}
