import type { Logger } from '../../common/logger.js';
import type { Allocation, Job, Task, TaskGroup } from '../structs/index.js';
import type { AllocDir } from './alloc-dir.js';

/**
 * The allocation runner is an ordered list of hooks, as in Nomad's allocrunner: each hook
 * implements only the phases it needs. The list and its order live in `hook-list.ts`.
 */

/** What every allocation hook sees. `env` collects variables hooks add to every task's environment. */
export interface AllocHookContext {
  readonly alloc: Allocation;
  readonly job: Job;
  readonly group: TaskGroup;
  readonly dir: AllocDir;
  readonly logger: Logger;
  /** Variables added to every task's environment (e.g. `PILOTFISH_DATA_LOST=1` from the migrate hook). */
  readonly env: Record<string, string>;
  /** `true` when the runner was restored after an agent restart (tasks may still be running). */
  readonly restored: boolean;
  /** Records an allocation event that is reported to the server with the task states. */
  event(type: string, message: string): void;
  /**
   * Fails the running allocation (e.g. the disk watcher past the hard limit): its tasks are
   * stopped and it is reported `failed` with `reason`; its reschedule policy decides what follows.
   */
  fail(reason: string): void;
}

/** Any hook has a name for logs and events. */
export interface AllocHook {
  readonly name: string;
}

/**
 * Runs before any task starts, in list order. Guarantee: if it throws, no task of the allocation
 * is started and the allocation is reported `failed` with the hook's message. It also runs when
 * a restored allocation is resumed, so it must be idempotent.
 */
export interface AllocPrerunHook extends AllocHook {
  prerun(ctx: AllocHookContext): Promise<void>;
}

/**
 * Runs after every task of the allocation has stopped (completed, failed or killed), in reverse
 * list order. Guarantee: runs at most once per runner; errors are logged, never fatal.
 */
export interface AllocPostrunHook extends AllocHook {
  postrun(ctx: AllocHookContext): Promise<void>;
}

/**
 * Runs when the agent garbage-collects a terminal allocation, after postrun. Guarantee: no task
 * of the allocation runs any more; this is where directories are removed.
 */
export interface AllocDestroyHook extends AllocHook {
  destroy(ctx: AllocHookContext): Promise<void>;
}

/** Any combination of phases. */
export type AllocRunnerHook = AllocHook & Partial<AllocPrerunHook & AllocPostrunHook & AllocDestroyHook>;

/** What a task hook sees. */
export interface TaskHookContext {
  readonly alloc: AllocHookContext;
  readonly task: Task;
  /** The task's environment, which prestart hooks may extend. */
  readonly env: Record<string, string>;
  /** The program the driver starts; prestart hooks may wrap it (e.g. the volumes hook's mount namespace). */
  readonly launch: { command: string; args: string[] };
}

/**
 * Runs before each start of a task (also before each restart), in list order. Guarantee: if it
 * throws, the task is not started and counts as failed to start (the restart policy applies).
 */
export interface TaskPrestartHook {
  readonly name: string;
  prestart(ctx: TaskHookContext): Promise<void>;
}
