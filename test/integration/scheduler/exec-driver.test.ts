import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTask, type TaskHandle } from '../../../scheduler/agent/exec-driver.js';
import { repoRoot } from '../../support/paths.js';
import { killRecorded, recordPid } from '../../support/processes.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

let dir: { path: string; remove(): void } | undefined;
let handle: TaskHandle | undefined;

afterEach(() => {
  if (handle) killRecorded(handle.pid);
  dir?.remove();
});

async function start(fixture: string): Promise<TaskHandle> {
  dir = tempDir();
  const path = dir.path;
  handle = await startTask({
    command: process.execPath,
    args: [join(repoRoot, 'test', 'fixtures', fixture)],
    cwd: path,
    env: { PATH: process.env.PATH ?? '', PILOTFISH_ALLOC_ID: 'a1', SECRET_OF_AGENT: '' },
    stdoutFile: join(path, 'out.log'),
    stderrFile: join(path, 'err.log'),
    pidFile: join(path, 'task.pid'),
  });
  recordPid(handle.pid);
  await waitFor('task output', () => readFileSync(join(path, 'out.log'), 'utf8').includes('started'));
  return handle;
}

describe('exec driver', () => {
  it('ExecDriver_stop_sigtermEndsTaskGracefully', async () => {
    const task = await start('forever.mjs');
    const t0 = Date.now();
    const exit = await task.stop(5_000);
    expect(exit).toEqual({ exitCode: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(readFileSync(join(dir?.path as string, 'out.log'), 'utf8')).toContain('got SIGTERM');
    expect(JSON.parse(readFileSync(join(dir?.path as string, 'task.pid'), 'utf8')).pid).toBe(task.pid);
  });

  it('ExecDriver_stop_sigkillAfterKillTimeout', async () => {
    const task = await start('ignores-sigterm.mjs');
    const t0 = Date.now();
    const exit = await task.stop(700);
    const tookMs = Date.now() - t0;
    expect(exit.signal).toBe('SIGKILL');
    expect(tookMs).toBeGreaterThanOrEqual(650);
    expect(tookMs).toBeLessThan(3_000);
  });

  it('ExecDriver_env_isOnlyTheTaskEnvironment', async () => {
    process.env.PILOTFISH_TOKEN_FOR_TEST = 'must-not-leak';
    const task = await start('forever.mjs');
    delete process.env.PILOTFISH_TOKEN_FOR_TEST;
    const out = readFileSync(join(dir?.path as string, 'out.log'), 'utf8');
    expect(out).toContain('"PILOTFISH_ALLOC_ID":"a1"');
    expect(out).not.toContain('must-not-leak');
    await task.stop(2_000);
  });

  it('ExecDriver_missingCommand_rejectsWithProcessFailed', async () => {
    dir = tempDir();
    const path = dir.path;
    await expect(
      startTask({
        command: 'pilotfish-no-such-program',
        args: [],
        cwd: path,
        env: { PATH: process.env.PATH ?? '' },
        stdoutFile: join(path, 'out.log'),
        stderrFile: join(path, 'err.log'),
        pidFile: join(path, 'task.pid'),
      }),
    ).rejects.toMatchObject({ code: 'PROCESS_FAILED' });
  });
});
