import { writeFile, rename } from 'node:fs/promises';
import type { Logger } from '../../common/logger.js';
import type { Allocation, ClientStatus, Job, TaskEvent, TaskGroup, TaskState } from '../structs/index.js';
import type { AllocDir } from './alloc-dir.js';
import type { AgentHooks } from './hook-list.js';
import type { AllocHookContext } from './hooks.js';
import { TaskRunner } from './task-runner.js';

/** What the runner reports upward. */
export interface AllocReport {
  id: string;
  clientStatus: ClientStatus;
  clientDescription: string;
  taskStates: Record<string, TaskState>;
}

/** Persisted beside the allocation so a restarted agent can resume it. */
export interface PersistedAlloc {
  alloc: Allocation;
  job: Job;
  taskStates: Record<string, TaskState>;
  clientStatus: ClientStatus;
}

/**
 * Runs one allocation: prerun hooks in order, then every task at once, each under its own
 * restart policy. The client status is derived from the tasks: `pending` until all run,
 * `running`, `complete` when all ended without failure (or were stopped on the server's behalf),
 * `failed` when a task failed for good (the other tasks are then stopped, as in Nomad).
 */
export class AllocRunner {
  private readonly tasks = new Map<string, TaskRunner>();
  private clientStatus: ClientStatus = 'pending';
  private description = '';
  private readonly ctx: AllocHookContext;
  private readonly group: TaskGroup;
  private done: Promise<void> | undefined;
  private stopping = false;
  private persisting: Promise<void> = Promise.resolve();
  private readonly allocEvents: TaskEvent[] = [];
  /** Set when a hook failed the allocation while it ran. */
  private failReason: string | undefined;

  constructor(
    private alloc: Allocation,
    readonly job: Job,
    private readonly dir: AllocDir,
    private readonly logger: Logger,
    private readonly onReport: (report: AllocReport) => void,
    baseEnv: Record<string, string>,
    private readonly restored: PersistedAlloc | undefined,
    /** The agent's ordered hooks (`hook-list.ts`). */
    private readonly hooks: AgentHooks,
  ) {
    const group = job.groups.find((g) => g.name === alloc.taskGroup);
    if (!group) throw new Error(`job ${job.id} version ${job.version} has no group ${alloc.taskGroup}`);
    this.group = group;
    this.ctx = {
      alloc,
      job,
      group,
      dir,
      logger: logger.child({ allocId: alloc.id, alloc: alloc.name }),
      env: { ...baseEnv },
      restored: restored !== undefined,
      event: (type, message) => {
        // Allocation events (e.g. DataLost from the migrate hook) reach the server in every task's events.
        const entry: TaskEvent = { type, timeMs: Date.now(), message };
        this.allocEvents.push(entry);
        this.ctx.logger.info({ type, message }, 'allocation event');
        for (const runner of this.tasks.values()) runner.state.events = [...runner.state.events, entry].slice(-20);
        if (this.tasks.size > 0) this.changed();
      },
      fail: (reason) => {
        if (this.terminal || this.failReason !== undefined) return;
        this.failReason = reason;
        for (const runner of this.tasks.values()) void runner.stop();
      },
    };
  }

  get id(): string {
    return this.alloc.id;
  }

  /** The allocation as last received from the server. */
  get allocation(): Allocation {
    return this.alloc;
  }

  /** Whether the runner has finished (all tasks dead). */
  get terminal(): boolean {
    return this.clientStatus === 'complete' || this.clientStatus === 'failed';
  }

  /** PIDs of the running tasks by name. */
  pids(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, runner] of this.tasks) if (runner.pid !== undefined) out[name] = runner.pid;
    return out;
  }

  report(): AllocReport {
    const taskStates: Record<string, TaskState> = {};
    for (const [name, runner] of this.tasks) taskStates[name] = { ...runner.state, events: [...runner.state.events] };
    return { id: this.alloc.id, clientStatus: this.clientStatus, clientDescription: this.description, taskStates };
  }

  private changed(): void {
    if (!this.terminal) {
      const states = [...this.tasks.values()].map((t) => t.state);
      if (states.length > 0 && states.every((s) => s.state === 'running')) {
        this.clientStatus = 'running';
        this.description = 'all tasks are running';
      }
    }
    const report = this.report();
    // Writes are chained: two renames of the same temporary file must not interleave.
    this.persisting = this.persisting
      .then(() => this.persist(report))
      .catch((err: unknown) => this.logger.warn({ err }, 'cannot persist allocation state'));
    this.onReport(report);
  }

  private async persist(report: AllocReport): Promise<void> {
    const doc: PersistedAlloc = { alloc: this.alloc, job: this.job, taskStates: report.taskStates, clientStatus: report.clientStatus };
    await writeFile(`${this.dir.allocFile}.tmp`, JSON.stringify(doc));
    await rename(`${this.dir.allocFile}.tmp`, this.dir.allocFile);
  }

  /** Starts the allocation; returns at once (the work runs in the background). */
  start(): void {
    this.done ??= this.runAll();
  }

  private async runAll(): Promise<void> {
    try {
      for (const hook of this.hooks.alloc) await hook.prerun?.(this.ctx);
    } catch (err) {
      this.clientStatus = 'failed';
      this.description = `prerun hook failed: ${(err as Error).message}`;
      this.changed();
      return;
    }
    if (this.stopping) {
      this.clientStatus = 'complete';
      this.description = 'stopped by the server before its tasks started';
      this.changed();
      return;
    }
    for (const task of this.group.tasks) {
      const restoredState = this.restored?.taskStates[task.name];
      const runner = new TaskRunner(task, this.ctx, this.hooks.task, () => this.changed(), restoredState);
      if (restoredState === undefined) runner.state.events = [...this.allocEvents];
      this.tasks.set(task.name, runner);
    }
    this.changed();
    const results = await Promise.all(
      [...this.tasks.values()].map(async (runner) => {
        const state = await runner.run();
        // One task failing for good fails the allocation: stop its siblings.
        if (state.failed) for (const other of this.tasks.values()) if (other !== runner) void other.stop();
        return state;
      }),
    );
    const failed = results.some((s) => s.failed) || this.failReason !== undefined;
    this.clientStatus = failed ? 'failed' : 'complete';
    this.description = this.failReason ?? (failed ? 'a task failed' : this.stopping ? 'stopped by the server' : 'all tasks completed');
    for (const hook of [...this.hooks.alloc].reverse()) {
      try {
        await hook.postrun?.(this.ctx);
      } catch (err) {
        this.ctx.logger.warn({ err, hook: hook.name }, 'postrun hook failed');
      }
    }
    this.changed();
  }

  /** Takes a newer version of the allocation from the server (desired status, in-place updates). */
  update(alloc: Allocation): void {
    this.alloc = alloc;
    if (alloc.desiredStatus !== 'run') void this.stop();
  }

  /** Stops every task (graceful, then SIGKILL after each task's kill timeout); resolves when all are dead. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.tasks.values()].map((t) => t.stop()));
    await this.done;
  }

  /** Removes the allocation's directory; only for terminal allocations. */
  async destroy(): Promise<void> {
    await this.stop();
    for (const hook of this.hooks.alloc) await hook.destroy?.(this.ctx);
  }
}
