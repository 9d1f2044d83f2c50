import type { AllocatedResources } from './allocation.js';
import type { Node, NodeResources } from './node.js';
import type { TaskGroup } from './job.js';

/**
 * Resource arithmetic shared by the scheduler (feasibility) and the server's plan applier (which
 * re-checks every node before it commits a plan).
 */

/** What one allocation of `group` reserves: the tasks' cpu and memory, and the group's ephemeral disk. */
export function groupResources(group: TaskGroup): AllocatedResources {
  let cpuMhz = 0;
  let memoryMb = 0;
  for (const task of group.tasks) {
    cpuMhz += task.resources.cpuMhz;
    memoryMb += task.resources.memoryMb;
  }
  return { cpuMhz, memoryMb, diskMb: group.ephemeralDisk.sizeMb };
}

/** Schedulable capacity: fingerprinted resources minus the node's reservation. */
export function nodeCapacity(node: Node): NodeResources {
  return {
    cpuMhz: node.resources.cpuMhz - node.reserved.cpuMhz,
    memoryMb: node.resources.memoryMb - node.reserved.memoryMb,
    diskMb: node.resources.diskMb - node.reserved.diskMb,
  };
}

/** The first dimension in which `used + ask` exceeds `capacity`, or `undefined` when it fits. */
export function exhaustedDimension(
  capacity: NodeResources,
  used: AllocatedResources,
  ask: AllocatedResources,
): 'cpu' | 'memory' | 'disk' | undefined {
  if (used.cpuMhz + ask.cpuMhz > capacity.cpuMhz) return 'cpu';
  if (used.memoryMb + ask.memoryMb > capacity.memoryMb) return 'memory';
  if (used.diskMb + ask.diskMb > capacity.diskMb) return 'disk';
  return undefined;
}

/** True for allocations that no longer hold resources on their node. */
export function isTerminal(alloc: { desiredStatus: string; clientStatus: string }): boolean {
  return (
    alloc.desiredStatus !== 'run' ||
    alloc.clientStatus === 'complete' ||
    alloc.clientStatus === 'failed' ||
    alloc.clientStatus === 'lost'
  );
}
