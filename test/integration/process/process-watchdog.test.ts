import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { ProcessWatchdog } from '../../../supervisor/fencing/process-watchdog.js';
import { startChild, type Child } from '../../../process/child.js';
import { recordPid } from '../../support/processes.js';
import { repoRoot } from '../../support/paths.js';
import { waitFor } from '../../support/wait.js';

const PROGRAM = join(repoRoot, 'dist', 'supervisor', 'fencing', 'watchdog-main.js');
const children: Child[] = [];
const watchdogs: ProcessWatchdog[] = [];

function target(): Child {
  const child = startChild({ name: 'target', file: process.execPath, args: [join(repoRoot, 'test', 'fixtures', 'forever.mjs')] }, silentLogger());
  recordPid(child.pid);
  children.push(child);
  return child;
}

function watchdog(): { dog: ProcessWatchdog; fired: number[] } {
  const fired: number[] = [];
  const dog = new ProcessWatchdog({ logger: silentLogger(), program: PROGRAM, onFired: (pid) => fired.push(pid) });
  watchdogs.push(dog);
  return { dog, fired };
}

/** Arms, then records the watchdog's pid so a failed test cannot leave it behind. */
function arm(dog: ProcessWatchdog, pid: number, deadlineMs: number): void {
  dog.arm(pid, deadlineMs);
  if (dog.pid !== undefined) recordPid(dog.pid);
}

afterEach(async () => {
  for (const dog of watchdogs.splice(0)) await dog.close();
  for (const child of children.splice(0)) await child.stop(100);
});

describe('ProcessWatchdog', () => {
  it('ProcessWatchdog_deadlinePasses_killsTheProcess', async () => {
    const { dog, fired } = watchdog();
    const victim = target();
    const armedAt = Date.now();
    arm(dog, victim.pid, armedAt + 400);
    const exit = await victim.exited;
    const tookMs = Date.now() - armedAt;
    expect(exit.signal).toBe('SIGKILL');
    expect(tookMs).toBeGreaterThanOrEqual(395);
    expect(tookMs).toBeLessThan(1500);
    await waitFor('the kill reported', () => fired.includes(victim.pid));
  });

  it('ProcessWatchdog_stoppedProcess_isKilledAllTheSame', async () => {
    const { dog } = watchdog();
    const victim = target();
    victim.signal('SIGSTOP');
    arm(dog, victim.pid, Date.now() + 200);
    expect((await victim.exited).signal).toBe('SIGKILL');
  });

  it('ProcessWatchdog_rearmed_killsOnlyAfterTheLastDeadline', async () => {
    const { dog } = watchdog();
    const victim = target();
    const startedAt = Date.now();
    // renewals every 100 ms for 1.2 s, each pushing the deadline 400 ms ahead
    while (Date.now() - startedAt < 1200) {
      arm(dog, victim.pid, Date.now() + 400);
      await new Promise((r) => setTimeout(r, 100));
      expect(victim.running).toBe(true);
    }
    const lastArmAt = Date.now() - 100;
    await victim.exited;
    expect(Date.now() - lastArmAt).toBeGreaterThanOrEqual(395);
  });

  it('ProcessWatchdog_disarmed_leavesTheProcessAlone', async () => {
    const { dog } = watchdog();
    const spared = target();
    const sentinel = target();
    arm(dog, spared.pid, Date.now() + 300);
    dog.disarm();
    // the watchdog handles commands in order: once the later sentinel is killed, the spared
    // process's deadline has long passed
    arm(dog, sentinel.pid, Date.now() + 600);
    expect((await sentinel.exited).signal).toBe('SIGKILL');
    expect(spared.running).toBe(true);
  });

  it('ProcessWatchdog_supervisorGone_enforcesTheLastDeadlineThenExits', async () => {
    // the supervisor's side of the pipe closes without a disarm, as when it is SIGKILLed
    const victim = target();
    const raw = execa(process.execPath, [PROGRAM], { stdin: 'pipe', stdout: 'pipe', reject: false });
    recordPid(raw.pid!);
    const deadline = Number(process.hrtime.bigint() / 1_000_000n) + 500;
    raw.stdin.end(`arm ${victim.pid} ${deadline}\n`);
    expect((await victim.exited).signal).toBe('SIGKILL');
    const result = await raw;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`fired ${victim.pid}`);
  });

  it('ProcessWatchdog_processAlreadyGone_killsNothing', async () => {
    const gone = target();
    await gone.stop(1000);
    const raw = execa(process.execPath, [PROGRAM], { stdin: 'pipe', stdout: 'pipe', reject: false });
    recordPid(raw.pid!);
    raw.stdin.end(`arm ${gone.pid} ${Number(process.hrtime.bigint() / 1_000_000n) + 100}\n`);
    const result = await raw;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`gone ${gone.pid}`);
  });
});
