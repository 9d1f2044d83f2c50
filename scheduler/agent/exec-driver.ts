import { closeSync, openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { PilotfishError } from '../../common/errors.js';
import { isSameProcessAlive, processStartTime, signalGroup } from '../../common/process-identity.js';

/**
 * The `exec` driver: runs a command as a child process in its own process group (so a stop
 * reaches everything the task started), with the task directory as working directory, the task
 * environment only (nothing inherited from the agent, so the agent's token never leaks), and
 * stdout/stderr appended to the allocation's log files. Tasks outlive the agent: a restarted
 * agent reattaches by PID and start time.
 */

/** How a task ended. `exitCode` is `null` when it was killed by a signal or could not be known. */
export interface TaskExit {
  exitCode: number | null;
  signal: string | null;
  /** Set when the agent reattached after a restart and could not observe the exit status. */
  unknown?: boolean;
}

/** A running task. */
export interface TaskHandle {
  readonly pid: number;
  readonly startTime: string;
  /** Resolves once the task has exited, however that happened. */
  readonly exited: Promise<TaskExit>;
  /**
   * Sends `signal` to the task's process group, then SIGKILL after `killTimeoutMs` if it is still
   * there; resolves when it is gone. Safe to call more than once.
   */
  stop(killTimeoutMs: number, signal?: NodeJS.Signals): Promise<TaskExit>;
}

/** What to start. */
export interface ExecSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  stdoutFile: string;
  stderrFile: string;
  /** Where `{pid, startTime}` is written once the process runs. */
  pidFile: string;
}

/** Interval at which a reattached task (not our child, so no exit event) is checked. */
const REATTACH_POLL_MS = 250;

function makeHandle(pid: number, startTime: string, exited: Promise<TaskExit>): TaskHandle {
  let stopping: Promise<TaskExit> | undefined;
  return {
    pid,
    startTime,
    exited,
    stop(killTimeoutMs, signal = 'SIGTERM') {
      stopping ??= (async () => {
        if (!isSameProcessAlive(pid, startTime)) return exited;
        signalGroup(pid, signal);
        const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), killTimeoutMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
}

/** Starts a task; rejects with PROCESS_FAILED when the command cannot be started at all. */
export async function startTask(spec: ExecSpec): Promise<TaskHandle> {
  // The log files are handed to the task as plain file descriptors, not piped through the agent:
  // a pipe would break (EPIPE) when the agent dies, and tasks must outlive the agent.
  const stdoutFd = openSync(spec.stdoutFile, 'a');
  const stderrFd = openSync(spec.stderrFile, 'a');
  try {
    return await spawnTask(spec, stdoutFd, stderrFd);
  } finally {
    closeSync(stdoutFd);
    closeSync(stderrFd);
  }
}

async function spawnTask(spec: ExecSpec, stdoutFd: number, stderrFd: number): Promise<TaskHandle> {
  const child = execa(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    extendEnv: false,
    detached: true,
    cleanup: false,
    reject: false,
    stdin: 'ignore',
    // execa passes a file descriptor number straight to spawn; its types only name 1 and 2.
    stdout: stdoutFd as 1,
    stderr: stderrFd as 2,
  });
  const spawned = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid as number));
    child.once('error', reject);
  }).catch((err: unknown) => {
    throw new PilotfishError('PROCESS_FAILED', `cannot start ${spec.command}: ${(err as Error).message}`, { cause: err });
  });
  const startTime = processStartTime(spawned) ?? '';
  await writeFile(spec.pidFile, JSON.stringify({ pid: spawned, startTime }));
  const exited = child.then((result) => ({
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
  }));
  return makeHandle(spawned, startTime, exited);
}

/**
 * Reattaches to a task a previous agent process started, if it still runs as the same process.
 * Its exit status cannot be observed (it is not our child): when it goes away the exit is
 * reported as unknown.
 */
export function reattachTask(pid: number, startTime: string): TaskHandle | undefined {
  if (!isSameProcessAlive(pid, startTime)) return undefined;
  const exited = new Promise<TaskExit>((resolve) => {
    const timer = setInterval(() => {
      if (isSameProcessAlive(pid, startTime)) return;
      clearInterval(timer);
      resolve({ exitCode: null, signal: null, unknown: true });
    }, REATTACH_POLL_MS);
  });
  return makeHandle(pid, startTime, exited);
}
