import { readFileSync } from 'node:fs';

/**
 * Field 22 of `/proc/<pid>/stat`: clock ticks since boot when the process started, or `null` when
 * there is no such process. exec does not change it and a recycled pid gets another one, so a pid
 * together with its start time names one process for good.
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces; the fields after it start behind the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
