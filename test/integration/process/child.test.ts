import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { startChild, type Child } from '../../../process/child.js';
import { ChildKeeper } from '../../../process/keeper.js';
import { recordPid } from '../../support/processes.js';
import { repoRoot } from '../../support/paths.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

const fixture = (name: string) => join(repoRoot, 'test', 'fixtures', name);
const logger = silentLogger();
const started: Child[] = [];
const dirs: { remove(): void }[] = [];

function run(name: string, args: string[] = []) {
  const dir = tempDir('pf-proc-');
  dirs.push(dir);
  const outputFile = join(dir.path, 'out.log');
  const child = startChild({ name, file: process.execPath, args: [fixture(name), ...args], outputFile }, logger);
  recordPid(child.pid);
  started.push(child);
  const output = () => readFileSync(outputFile, 'utf8');
  return { child, output };
}

afterEach(async () => {
  for (const child of started.splice(0)) await child.stop(100);
  for (const dir of dirs.splice(0)) dir.remove();
});

describe('Child', () => {
  it('Child_stop_exitsOnSigterm', async () => {
    const { child, output } = run('forever.mjs');
    await waitFor('started', () => output().includes('started pid='));
    const exit = await child.stop(5000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(output()).toContain('got SIGTERM');
    expect(child.running).toBe(false);
  });

  it('Child_stop_killsAfterGraceWhenSigtermIgnored', async () => {
    const { child, output } = run('ignores-sigterm.mjs');
    await waitFor('started', () => output().includes('started pid='));
    const t0 = Date.now();
    const exit = await child.stop(300);
    expect(exit.signal).toBe('SIGKILL');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(output()).toContain('ignoring SIGTERM');
  });

  it('Child_signal_forwardsToChild', async () => {
    const { child, output } = run('prints-signals.mjs');
    await waitFor('ready', () => output().includes('ready'));
    child.signal('SIGHUP');
    await waitFor('SIGHUP seen', () => output().includes('got SIGHUP'));
  });
});

describe('ChildKeeper', () => {
  it('ChildKeeper_crash_restartsWithBackoff', async () => {
    const dir = tempDir('pf-keep-');
    dirs.push(dir);
    const starts: number[] = [];
    const keeper = new ChildKeeper(
      () => ({ name: 'crashes', file: process.execPath, args: [fixture('crashes.mjs'), '50'], outputFile: join(dir.path, 'o.log') }),
      {
        backoff: { initialMs: 100, maxMs: 400 },
        stableAfterMs: 10_000,
        stopGraceMs: 1000,
        onStart: (child) => {
          recordPid(child.pid);
          starts.push(Date.now());
        },
      },
      logger,
    );
    keeper.start();
    await waitFor('three restarts', () => keeper.restarts >= 3, { timeoutMs: 10_000 });
    await keeper.stop();
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    // 50ms of life + 100, 200, 400ms of backoff: each gap at least the backoff
    expect(gaps[1]).toBeGreaterThanOrEqual(200);
    expect(gaps[2]).toBeGreaterThanOrEqual(400);
    const count = keeper.restarts;
    await new Promise((r) => setTimeout(r, 300));
    expect(keeper.restarts).toBe(count);
  });
});
