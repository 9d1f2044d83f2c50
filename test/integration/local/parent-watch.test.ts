import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processStartTime } from '../../../common/process-identity.js';
import { repoRoot } from '../../support/paths.js';
import { isRunning, killRecorded, recordPid, spawnTracked, type TrackedProcess } from '../../support/processes.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

const fixture = join(repoRoot, 'test', 'fixtures', 'watches-parent.mjs');
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A shell that starts the fixture in the background and waits, as `… &` in a script does. */
async function shellWithWatcher(): Promise<{ shell: TrackedProcess; watcher: { pid: number; startTime: string }; output: () => string }> {
  const dir = tempDir('pf-pwatch-');
  cleanups.push(() => dir.remove());
  // The watcher writes its lines to a file of its own: the shell's stdout may go with the shell.
  const logFile = join(dir.path, 'out.log');
  writeFileSync(logFile, '');
  const shell = spawnTracked('bash', ['-c', '"$NODE" "$FIXTURE" 200 "$OUT" & wait'], {
    env: { ...process.env, NODE: process.execPath, FIXTURE: fixture, OUT: logFile },
  });
  cleanups.push(() => shell.kill());
  const output = () => readFileSync(logFile, 'utf8');
  const pid = await waitFor('the watcher to start', () => Number(/^watching pid=(\d+)/m.exec(output())?.[1] ?? 0));
  // The watcher outlives the shell by design: record it so a failing test still kills it.
  recordPid(pid);
  const startTime = processStartTime(pid) ?? '';
  cleanups.push(() => killRecorded(pid, startTime));
  expect(output()).toContain(`ppid=${shell.pid}`);
  return { shell, watcher: { pid, startTime }, output };
}

describe('watchParent', () => {
  it('WatchParent_parentKilled_callsBackOnce', async () => {
    const { shell, watcher, output } = await shellWithWatcher();
    const t0 = Date.now();
    shell.signal('SIGKILL');
    await waitFor('the watcher to exit', () => !isRunning(watcher.pid, watcher.startTime), { timeoutMs: 5000, intervalMs: 20 });
    console.log(`watcher exited ${Date.now() - t0} ms after its parent was killed (interval 200 ms)`);
    expect(output()).toMatch(/^parent gone ppid=\d+$/m);
    expect(output()).not.toContain(`parent gone ppid=${shell.pid}`);
  });
});
