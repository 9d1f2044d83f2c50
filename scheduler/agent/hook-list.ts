import type { ApiClient } from '../api/client.js';
import { allocDirHook } from './alloc-dir-hook.js';
import { diskWatcherHook } from './disk-hook.js';
import type { AllocRunnerHook, TaskPrestartHook } from './hooks.js';
import { migrationGuardHook } from './migrate/gc-guard-hook.js';
import { migrateHook } from './migrate/migrate-hook.js';
import type { MigrationSource } from './migrate/source.js';
import { taskEnvHook } from './task-env.js';
import type { HostVolume } from '../structs/node.js';
import { volumesHook } from './volumes/volumes-hook.js';

/** The ordered hooks every allocation and task of this agent runs through. */
export interface AgentHooks {
  readonly alloc: readonly AllocRunnerHook[];
  readonly task: readonly TaskPrestartHook[];
}

export interface AgentHookDeps {
  /** The server client, current at each call (the node's secret may change on re-registration). */
  client: () => ApiClient;
  nodeId: string;
  allocsDir: string;
  migrationSource: MigrationSource;
  hostVolumes: Record<string, HostVolume>;
  migrateWaitForDownNodeMs: number;
  diskWatchIntervalMs: number;
  diskHardLimitFactor: number;
}

/**
 * The one place the order lives. Allocation hooks run `prerun` in this order and `postrun` in
 * reverse; task hooks run before each task starts.
 *
 * 1. migration guard: a previous allocation whose data is being streamed to another node keeps
 *    its directory until the stream ends;
 * 2. alloc dir: creates `alloc/`, `alloc/data`, the task directories;
 * 3. migrate: sticky/migrate ephemeral disk: moves the previous allocation's `alloc/data` on the
 *    same node or pulls it from the previous node, before any task starts;
 * 4. disk watcher: the `ephemeral_disk` size, warned past the limit and failed past the hard limit.
 *
 * Task hooks: the task environment, then the host volumes (mounted into the task directory,
 * read-only where the job or the volume says so).
 */
export function agentHooks(deps: AgentHookDeps): AgentHooks {
  return {
    alloc: [
      migrationGuardHook(deps.migrationSource),
      allocDirHook,
      migrateHook({ client: deps.client, nodeId: deps.nodeId, allocsDir: deps.allocsDir, waitDownNodeMs: deps.migrateWaitForDownNodeMs }),
      diskWatcherHook({ intervalMs: deps.diskWatchIntervalMs, hardLimitFactor: deps.diskHardLimitFactor }),
    ],
    task: [taskEnvHook, volumesHook(deps.hostVolumes)],
  };
}
