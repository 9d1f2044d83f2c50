import { readFileSync } from 'node:fs';

/**
 * Process identity from /proc: a PID alone may be recycled, so a process is identified by its PID
 * and its start time (field 22 of /proc/<pid>/stat, clock ticks since boot, unchanged by exec).
 */

/** The start time of `pid`, or `null` when no such process exists (or it is a zombie). */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces; the fields after it start behind the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie has exited; only its parent's wait() is missing.
    if (fields[0] === 'Z') return null;
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the process recorded as `{pid, startTime}` still runs. */
export function isSameProcessAlive(pid: number, startTime: string): boolean {
  const current = processStartTime(pid);
  return current !== null && current === startTime;
}

/** Sends `signal` to the process group `pid` leads, and to `pid` itself; ignores "already gone". */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // gone, or not a group leader
    }
  }
}
