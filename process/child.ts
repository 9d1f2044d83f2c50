import { openSync, closeSync } from 'node:fs';
import { execa, type Options, type ResultPromise } from 'execa';
import { PilotfishError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';

/** What to run. Secrets never go into `args` or `env` values that are logged: pass them in files. */
export interface ChildSpec {
  /** Short name for logs (`mariadbd`, `etcd`, `db-1`). */
  name: string;
  file: string;
  args: readonly string[];
  env?: Record<string, string>;
  /**
   * When set, the child gets only these variables of this process's environment (plus `env`),
   * not all of it: for programs that must not see the supervisor's credentials.
   */
  inheritEnv?: readonly string[];
  cwd?: string;
  /** Appends the child's stdout and stderr to this file; otherwise they are discarded. */
  outputFile?: string;
}

/** How a child ended. `signal` is set when a signal killed it. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * One running child process. It runs in its own process group, so a terminal's Ctrl-C reaches only
 * the supervisor, which then stops its children in order (a database must shut down cleanly, not be
 * interrupted halfway by the same keystroke).
 */
export interface Child {
  readonly name: string;
  readonly pid: number;
  /** Resolves once, when the process has exited; never rejects. */
  readonly exited: Promise<ChildExit>;
  /** `true` until the process has exited. */
  readonly running: boolean;
  /** Sends a signal to the process; ignored once it has exited. */
  signal(signal: NodeJS.Signals): void;
  /**
   * SIGTERM (after SIGCONT, in case it was paused), then SIGKILL to the whole group when it has not
   * exited within `graceMs`. Resolves with how it ended; idempotent.
   */
  stop(graceMs: number): Promise<ChildExit>;
}

/** The variables of this process's environment named in `names` (those that are set). */
export function pickEnv(names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = process.env[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

/** Starts `spec` and returns its handle; throws PROCESS_FAILED when it cannot be started at all. */
export function startChild(spec: ChildSpec, logger: Logger): Child {
  const fd = spec.outputFile ? openSync(spec.outputFile, 'a', 0o600) : undefined;
  let proc: ResultPromise;
  try {
    proc = execa(spec.file, [...spec.args], {
      cwd: spec.cwd,
      env: spec.inheritEnv ? { ...pickEnv(spec.inheritEnv), ...spec.env } : spec.env,
      extendEnv: spec.inheritEnv === undefined,
      detached: true,
      // execa kills the child when this process exits normally; SIGKILL of the supervisor cannot be
      // caught, which is why the MySQL recipe also looks for a leftover server before it starts one.
      cleanup: true,
      reject: false,
      stdin: 'ignore',
      stdout: fd ?? 'ignore',
      stderr: fd ?? 'ignore',
    } as Options) as ResultPromise;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const pid = proc.pid;
  if (pid === undefined) {
    throw new PilotfishError('PROCESS_FAILED', `could not start ${spec.name} (${spec.file}): is it installed and executable?`);
  }
  let running = true;
  const exited: Promise<ChildExit> = proc.then(
    (result) => {
      running = false;
      const exit: ChildExit = { code: result.exitCode ?? null, signal: (result.signal as NodeJS.Signals | undefined) ?? null };
      logger.debug({ child: spec.name, pid, ...exit }, 'child exited');
      return exit;
    },
    (err: unknown) => {
      running = false;
      logger.warn({ child: spec.name, pid, err: (err as Error).message }, 'child failed');
      return { code: null, signal: null };
    },
  );
  const send = (target: number, signal: NodeJS.Signals) => {
    try {
      process.kill(target, signal);
    } catch {
      // already gone
    }
  };
  let stopping: Promise<ChildExit> | undefined;
  logger.debug({ child: spec.name, pid, file: spec.file }, 'child started');
  return {
    name: spec.name,
    pid,
    exited,
    get running() {
      return running;
    },
    signal(signal) {
      if (running) send(pid, signal);
    },
    stop(graceMs) {
      stopping ??= (async () => {
        if (!running) return exited;
        send(pid, 'SIGCONT');
        send(pid, 'SIGTERM');
        const timer = setTimeout(() => {
          logger.warn({ child: spec.name, pid, graceMs }, 'child ignored SIGTERM; killing its process group');
          send(-pid, 'SIGKILL');
          send(pid, 'SIGKILL');
        }, graceMs);
        const exit = await exited;
        clearTimeout(timer);
        return exit;
      })();
      return stopping;
    },
  };
}
