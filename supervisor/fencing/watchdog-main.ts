/**
 * The process watchdog: a small program, separate from the supervisor, that SIGKILLs the
 * application when the supervisor stops pushing its deadline forward.
 *
 * Why a separate process: the dead-man event inside the database fences a primary whose supervisor
 * froze, but not one whose database froze too (a stopped process runs no events). When both resume,
 * the server answers the requests queued during the freeze before its overdue event runs, so for a
 * moment it is writable beside the new primary. SIGKILL reaches a stopped process, so a process that
 * is not frozen along with them can fence it: this one. It plays the part of Patroni's
 * `/dev/watchdog` for a single process; a freeze of the whole machine or container (cgroup freezer,
 * `docker pause`) stops it too, and only a watchdog outside the machine covers that.
 *
 * Protocol on stdin, one command per line:
 *   `arm <pid> <deadline>`  kill <pid> at <deadline> (ms of CLOCK_MONOTONIC, shared by every process
 *                           on the machine, so a wall-clock step cannot move it) unless re-armed
 *   `disarm`                forget the deadline
 * End of input (the supervisor exited or was killed) keeps an armed deadline: the watchdog waits for
 * it, acts, and exits; unarmed, it exits at once. On stdout it reports `fired <pid>` or
 * `gone <pid>` (the process had already exited, or its pid now names another process).
 *
 * It imports little beyond Node built-ins, so it starts in a few tens of milliseconds.
 */
import { createInterface } from 'node:readline';
import { processStartTime } from '../../common/process-identity.js';

interface Armed {
  pid: number;
  /** Field 22 of /proc/<pid>/stat when armed: a recycled pid has another start time. */
  startTime: string;
  deadlineMs: number;
}

let armed: Armed | null = null;
let timer: NodeJS.Timeout | undefined;
let inputEnded = false;

const monotonicMs = (): number => Number(process.hrtime.bigint() / 1_000_000n);

function report(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fire(): void {
  const target = armed;
  armed = null;
  if (target) {
    if (processStartTime(target.pid) === target.startTime) {
      try {
        process.kill(target.pid, 'SIGKILL');
        report(`fired ${target.pid}`);
      } catch {
        report(`gone ${target.pid}`);
      }
    } else {
      report(`gone ${target.pid}`);
    }
  }
  if (inputEnded) process.exit(0);
}

function schedule(): void {
  if (timer) clearTimeout(timer);
  timer = undefined;
  if (armed) timer = setTimeout(fire, Math.max(0, armed.deadlineMs - monotonicMs()));
  else if (inputEnded) process.exit(0);
}

function command(line: string): void {
  const [verb, pidText, deadlineText] = line.trim().split(/\s+/);
  if (verb === 'disarm') {
    armed = null;
  } else if (verb === 'arm') {
    const pid = Number(pidText);
    const deadlineMs = Number(deadlineText);
    if (!Number.isInteger(pid) || pid <= 1 || !Number.isFinite(deadlineMs)) {
      process.stderr.write(`watchdog: ignoring malformed command ${JSON.stringify(line)}\n`);
      return;
    }
    // read on every arm (once per renewal): a restarted application may have been given the same pid
    const startTime = processStartTime(pid);
    if (startTime === null) {
      // nothing to guard: the process is already gone
      armed = null;
      report(`gone ${pid}`);
    } else {
      armed = { pid, startTime, deadlineMs };
    }
  }
  schedule();
}

// A terminal's Ctrl-C is for the supervisor, which stops the application and then this process.
process.on('SIGINT', () => undefined);
// The supervisor may be gone when there is something to report.
process.stdout.on('error', () => undefined);
const input = createInterface({ input: process.stdin });
input.on('line', command);
input.on('close', () => {
  inputEnded = true;
  schedule();
});
