import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Options, type ResultPromise, execa } from 'execa';
import { processStartTime } from '../../common/process-identity.js';

/**
 * Every process a test starts is recorded here by PID (one file per process in a directory shared
 * by all workers of a run) and killed, with its whole process group, on teardown: when the test's
 * own cleanup runs, when the worker exits, and in the global teardown for anything left behind.
 * A record also stores the process start time (which exec does not change) so a recycled PID is
 * never killed by mistake.
 */

const REGISTRY_DIR = process.env.PILOTFISH_TEST_PID_DIR ?? join(tmpdir(), 'pilotfish-test-pids');

interface Record {
  pid: number;
  startTime: string;
}

export function recordPid(pid: number): void {
  mkdirSync(REGISTRY_DIR, { recursive: true });
  const startTime = processStartTime(pid) ?? '';
  writeFileSync(join(REGISTRY_DIR, String(pid)), JSON.stringify({ pid, startTime } satisfies Record));
}

export function forgetPid(pid: number): void {
  rmSync(join(REGISTRY_DIR, String(pid)), { force: true });
}

/**
 * Whether `pid` is still the process that started at `startTime` (see {@link processStartTime}) and
 * has not exited: a zombie waiting for its (new) parent to reap it counts as gone.
 */
export function isRunning(pid: number, startTime: string): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[0] !== 'Z' && fields[0] !== 'X' && fields[19] === startTime;
}

/** SIGCONT then SIGKILL to the process group (and the process itself), if it is still the recorded one. */
export function killRecorded(pid: number, startTime?: string): void {
  const current = processStartTime(pid);
  if (current === null || (startTime !== undefined && startTime !== '' && current !== startTime)) {
    forgetPid(pid);
    return;
  }
  for (const target of [-pid, pid]) {
    for (const signal of ['SIGCONT', 'SIGKILL'] as const) {
      try {
        process.kill(target, signal);
      } catch {
        // already gone, or not a group leader
      }
    }
  }
  forgetPid(pid);
}

/** Kills every process still recorded in `dir` (this run's registry by default). */
export function killAllRecorded(dir = REGISTRY_DIR): number {
  let killed = 0;
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    try {
      const record = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record;
      if (processStartTime(record.pid) !== null) killed++;
      killRecorded(record.pid, record.startTime);
    } catch {
      rmSync(join(dir, name), { force: true });
    }
  }
  return killed;
}

/**
 * Registries are named `pilotfish-test-pids-<runner pid>`. Kills what runs whose runner is gone
 * (interrupted, crashed) left behind, and removes their registries. Concurrent runs are untouched.
 */
export function reapAbandonedRuns(): number {
  let killed = 0;
  for (const name of readdirSync(tmpdir())) {
    const match = /^pilotfish-test-pids-(\d+)$/.exec(name);
    if (!match || processStartTime(Number(match[1])) !== null) continue;
    const dir = join(tmpdir(), name);
    killed += killAllRecorded(dir);
    rmSync(dir, { recursive: true, force: true });
  }
  return killed;
}

const ownPids = new Set<number>();
process.once('exit', () => {
  for (const pid of ownPids) killRecorded(pid);
});

export interface TrackedProcess {
  readonly pid: number;
  readonly child: ResultPromise;
  /** Resolves when the process has exited, whatever the reason. */
  readonly exited: Promise<void>;
  /** Freezes the process (SIGSTOP), for outage tests. */
  pause(): void;
  /** Resumes a paused process (SIGCONT). */
  resume(): void;
  /** Sends a signal to the process only. */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL to the whole group after `graceMs`; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL to the whole group at once. */
  kill(): Promise<void>;
}

/**
 * Starts a process in its own process group, records its PID, and returns controls for it.
 * Output goes to `logFile` when given (inspect it when a test fails), else is discarded.
 */
export function spawnTracked(
  file: string,
  args: readonly string[],
  options: Options & { logFile?: string } = {},
): TrackedProcess {
  const { logFile, ...execaOptions } = options;
  const output = logFile ? { file: logFile, append: true } : 'ignore';
  const child = execa(file, args, {
    detached: true,
    cleanup: false,
    reject: false,
    stdin: 'ignore',
    stdout: output,
    stderr: output,
    ...execaOptions,
  } as Options) as ResultPromise;
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${file}`);
  recordPid(pid);
  ownPids.add(pid);
  const exited = child.then(
    () => undefined,
    () => undefined,
  );
  void exited.then(() => {
    ownPids.delete(pid);
    forgetPid(pid);
  });
  const send = (signal: NodeJS.Signals) => {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  };
  const killGroup = async () => {
    killRecorded(pid);
    await exited;
  };
  return {
    pid,
    child,
    exited,
    pause: () => send('SIGSTOP'),
    resume: () => send('SIGCONT'),
    signal: send,
    kill: killGroup,
    async stop(graceMs = 10_000) {
      send('SIGCONT');
      send('SIGTERM');
      const timer = setTimeout(() => killRecorded(pid), graceMs);
      await exited;
      clearTimeout(timer);
      killRecorded(pid);
    },
  };
}

/** Every process (but this one) whose command line contains `text`, e.g. a test's temporary directory. */
export function processesMentioning(text: string): number[] {
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) return [];
    try {
      return readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text) ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}
