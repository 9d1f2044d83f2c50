import { killAllRecorded, reapAbandonedRuns } from './processes.js';

/** Kills what interrupted earlier runs left behind, and after this run anything still recorded. */
export function setup(): void {
  const stale = reapAbandonedRuns();
  if (stale > 0) console.warn(`global setup killed ${stale} process(es) left by an interrupted earlier run`);
}

export function teardown(): void {
  const left = killAllRecorded();
  if (left > 0) console.warn(`global teardown killed ${left} process(es) a test left running`);
}
