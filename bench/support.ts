import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the benchmarks share: progress lines, bounded waits, percentiles, finding `up`'s supervisors. */

export const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every `intervalMs` until it returns a value; `null` (and a line saying so) after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | null | false | undefined>, timeoutMs: number, intervalMs = 100): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check().catch(() => null);
    if (value) return value;
    await sleep(intervalMs);
  }
  log(`gave up waiting for ${what}`);
  return null;
}

/** The `p`th percentile (nearest rank) of `values`, `null` for none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

/** The supervisor process of a member started by `pilotfish up` in `dir`, found by its config path. */
export function supervisorPid(dir: string, name: string): number | null {
  const needle = join(dir, 'members', name, 'pilotfish.yaml');
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('supervise') && cmdline.includes(needle)) return Number(entry);
    } catch {
      // gone
    }
  }
  return null;
}
