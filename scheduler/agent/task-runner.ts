import { readFile } from 'node:fs/promises';
import { delay } from '../../common/retry.js';
import type { Task, TaskEvent, TaskState } from '../structs/index.js';
import { reattachTask, startTask, type TaskExit, type TaskHandle } from './exec-driver.js';
import type { AllocHookContext, TaskPrestartHook } from './hooks.js';
import { RestartTracker } from './restart-tracker.js';

/** Most events kept per task; older ones are dropped (the log files keep the detail). */
const MAX_EVENTS = 20;

/**
 * Runs one task through its life: prestart hooks, start (or reattach to a task a previous agent
 * process left running), wait for exit, apply the restart policy, repeat — until the task
 * completes, fails for good, or is stopped. Every state change is passed to `onChange`.
 */
export class TaskRunner {
  readonly state: TaskState = {
    state: 'pending',
    failed: false,
    restarts: 0,
    lastRestartMs: 0,
    startedAtMs: 0,
    finishedAtMs: 0,
    events: [],
  };
  private handle: TaskHandle | undefined;
  private stopRequested = false;
  private readonly stopController = new AbortController();
  private readonly tracker: RestartTracker;

  constructor(
    private readonly task: Task,
    private readonly ctx: AllocHookContext,
    private readonly hooks: readonly TaskPrestartHook[],
    private readonly onChange: () => void,
    restoredState?: TaskState,
  ) {
    this.tracker = new RestartTracker(task.restart, ctx.job.type);
    if (restoredState) Object.assign(this.state, restoredState, { events: [...restoredState.events] });
  }

  /** The running process, if any. */
  get pid(): number | undefined {
    return this.handle?.pid;
  }

  private event(type: string, message: string, exitCode?: number): void {
    const entry: TaskEvent = { type, timeMs: Date.now(), message, ...(exitCode === undefined ? {} : { exitCode }) };
    this.state.events = [...this.state.events, entry].slice(-MAX_EVENTS);
    this.ctx.logger.info({ task: this.task.name, type, message, exitCode }, 'task event');
    this.onChange();
  }

  /** Runs until the task is dead; resolves with its final state. */
  async run(): Promise<TaskState> {
    let attach = this.ctx.restored;
    while (!this.stopRequested) {
      const exit = await this.runOnce(attach);
      attach = false;
      if (this.stopRequested) break;
      const what = exit.unknown ? 'exit status unknown (task ended while the agent was restarting)' : `exit code ${exit.exitCode ?? 'none'}, signal ${exit.signal ?? 'none'}`;
      this.event('Terminated', what, exit.exitCode ?? undefined);
      const decision = this.tracker.onExit(exit.exitCode, Date.now());
      if (decision.action === 'complete') return this.finish(false, decision.reason);
      if (decision.action === 'fail') return this.finish(true, decision.reason);
      this.event('Restarting', `${decision.reason}; restarting in ${decision.delayMs}ms`);
      try {
        await delay(decision.delayMs, this.stopController.signal);
      } catch {
        break;
      }
      this.state.restarts += 1;
      this.state.lastRestartMs = Date.now();
    }
    return this.finish(false, 'task stopped');
  }

  private async runOnce(attach: boolean): Promise<TaskExit> {
    if (attach) {
      const restored = await this.reattach();
      if (restored) {
        this.handle = restored;
        this.state.state = 'running';
        this.event('Reattached', `reattached to pid ${restored.pid} after an agent restart`);
        return restored.exited;
      }
    }
    const env: Record<string, string> = {};
    try {
      const launch = execConfig(this.task);
      for (const hook of this.hooks) await hook.prestart({ alloc: this.ctx, task: this.task, env, launch });
      const { command, args } = launch;
      this.handle = await startTask({
        command,
        args,
        cwd: this.ctx.dir.taskDir(this.task.name),
        env,
        stdoutFile: this.ctx.dir.stdoutFile(this.task.name),
        stderrFile: this.ctx.dir.stderrFile(this.task.name),
        pidFile: this.ctx.dir.pidFile(this.task.name),
      });
    } catch (err) {
      this.event('Driver Failure', (err as Error).message);
      return { exitCode: null, signal: null };
    }
    this.state.state = 'running';
    this.state.startedAtMs = Date.now();
    this.event('Started', `task started (pid ${this.handle.pid})`);
    // A stop that arrived while the task was starting had no process to signal yet.
    if (this.stopRequested) void this.stop();
    return this.handle.exited;
  }

  private async reattach(): Promise<TaskHandle | undefined> {
    try {
      const doc = JSON.parse(await readFile(this.ctx.dir.pidFile(this.task.name), 'utf8')) as { pid: number; startTime: string };
      return reattachTask(doc.pid, doc.startTime);
    } catch {
      return undefined;
    }
  }

  private finish(failed: boolean, reason: string): TaskState {
    this.state.state = 'dead';
    this.state.failed = failed;
    this.state.finishedAtMs = Date.now();
    this.handle = undefined;
    this.event(failed ? 'Not Restarting' : this.stopRequested ? 'Killed' : 'Completed', reason);
    return this.state;
  }

  /** Stops the task: SIGTERM (or the task's `kill_signal`) to its process group, SIGKILL after its kill timeout. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.stopController.abort();
    const handle = this.handle;
    if (handle) {
      const signal = (this.task.config.kill_signal as NodeJS.Signals | undefined) ?? 'SIGTERM';
      await handle.stop(this.task.killTimeoutMs, signal);
    }
  }
}

/** `config { command = "node", args = ["app.mjs"] }` of an exec task. */
export function execConfig(task: Task): { command: string; args: string[] } {
  const command = task.config.command;
  if (typeof command !== 'string' || command === '') {
    throw new Error(`task ${task.name}: config.command must be the program to run`);
  }
  const args = task.config.args ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
    throw new Error(`task ${task.name}: config.args must be a list of strings`);
  }
  return { command, args: args as string[] };
}
