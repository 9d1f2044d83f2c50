import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../../bin/commands/status.js';
import { processStartTime } from '../../../common/process-identity.js';
import { pilotfishBin } from '../../support/paths.js';
import { forgetPid, isRunning, killRecorded, recordPid, spawnTracked } from '../../support/processes.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

/**
 * `up` started in the background by a shell that is then SIGKILLed (a script's `… &`, a terminal
 * that went away): with nobody left to press Ctrl-C, `up` notices its parent is gone and stops the
 * cluster exactly as on SIGINT, so no member, supervisor or etcd keeps running.
 */
const tmp = tempDir('pf-upparent-');
const env = { ...process.env, PILOTFISH_HA__LOOP_WAIT: '500ms' };

interface Proc {
  pid: number;
  startTime: string;
  cmdline: string;
}

/** Processes whose command line names `dir`: `up`, what it keeps (etcd, supervisors or scheduler), mariadbd. */
function processesNaming(dir: string): Proc[] {
  const found: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      const startTime = processStartTime(Number(entry));
      if (cmdline.includes(dir) && startTime !== null) found.push({ pid: Number(entry), startTime, cmdline });
    } catch {
      // gone
    }
  }
  return found;
}

/** Clean server shutdowns logged under `dir`: mariadbd's last line (InnoDB's "Shutdown completed; …" comes before it). */
function cleanShutdowns(dir: string): number {
  const logs = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('error.log'));
  return logs.reduce((n, f) => n + (readFileSync(join(dir, f), 'utf8').match(/: Shutdown complete$/gm)?.length ?? 0), 0);
}

afterAll(() => {
  // `up` first: it would restart the processes it keeps
  const left = processesNaming(tmp.path);
  for (const p of [...left.filter((p) => p.cmdline.includes(' up mysql ')), ...left]) killRecorded(p.pid, p.startTime);
  tmp.remove();
});

/**
 * Runs `bash -c 'node pilotfish.js up mysql <args> --dir <dir> & wait'`, waits for one primary and
 * two healthy replicas, checks the processes against `expected` (command-line part → count),
 * SIGKILLs the shell and returns how long until every one of them had exited.
 */
async function killParentOfUp(name: string, args: string[], expected: Record<string, number>): Promise<{ stoppedMs: number; output: string }> {
  const stateDir = join(tmp.path, name);
  const logFile = join(tmp.path, `${name}.out`);
  // The paths go through the environment so that the shell's own command line does not name them.
  const shell = spawnTracked('bash', ['-c', `"$NODE" "$PILOTFISH" up mysql ${args.join(' ')} --dir "$STATE" & wait`], {
    cwd: tmp.path,
    env: { ...env, NODE: process.execPath, PILOTFISH: pilotfishBin, STATE: stateDir },
    logFile,
  });
  const output = () => readFileSync(logFile, 'utf8');
  await waitFor('the primary line', () => /^primary: mysql:\/\//m.test(output()), { timeoutMs: 180_000, intervalMs: 200 });
  const status = async (): Promise<ClusterStatus> => {
    const { stdout } = await execa(process.execPath, [pilotfishBin, 'status', '-c', join(stateDir, 'pilotfish.yaml'), '--json'], { env });
    return JSON.parse(stdout) as ClusterStatus;
  };
  await waitFor('one primary and two healthy replicas', async () => {
    const st = await status();
    return st.members.filter((m) => m.role === 'primary' && m.healthy).length === 1 && st.members.filter((m) => m.role === 'replica' && m.healthy).length === 2;
  }, { timeoutMs: 60_000 });

  // Everything `up` runs, by PID and start time, recorded so that a failing test still kills it.
  const procs = processesNaming(stateDir);
  for (const p of procs) recordPid(p.pid);
  const counts = Object.fromEntries(Object.keys(expected).map((part) => [part, procs.filter((p) => p.cmdline.includes(part)).length]));
  expect(counts).toEqual(expected);
  const shutdownsBefore = cleanShutdowns(stateDir);

  const t0 = Date.now();
  // Only the shell; not awaiting its end, which waits for its output pipe that `up` inherited.
  shell.signal('SIGKILL');
  const left = await waitFor('every process of the cluster to exit', () => (procs.some((p) => isRunning(p.pid, p.startTime)) ? false : []), {
    timeoutMs: 30_000,
    intervalMs: 100,
  }).catch(() => procs.filter((p) => isRunning(p.pid, p.startTime)).map((p) => p.cmdline));
  const stoppedMs = Date.now() - t0;
  expect(left).toEqual([]);
  // Gone (at most a zombie until init reaps it): no longer for the teardown to kill.
  for (const p of procs) forgetPid(p.pid);
  expect(processesNaming(stateDir)).toEqual([]);
  // As on Ctrl-C: every member shut its database down cleanly.
  expect(cleanShutdowns(stateDir)).toBe(shutdownsBefore + 3);
  return { stoppedMs, output: output() };
}

describe('pilotfish up mysql, started in the background by a shell that is killed', () => {
  it('Up_parentKilled_stopsEveryMemberAndEtcd', async () => {
    const { stoppedMs, output } = await killParentOfUp('plain', [], {
      ' up mysql ': 1,
      ' supervise -c ': 3,
      mariadbd: 3,
      'etcd --name=pilotfish': 1,
    });
    console.log(`up: cluster stopped ${stoppedMs} ms after its parent shell was killed`);
    expect(output).toMatch(/^pilotfish up: parent gone: stopping members/m);
    expect(output).toMatch(/^pilotfish up: stopped$/m);
  });

  it('Up_schedulerParentKilled_stopsTheJobAgentsServerAndEtcd', async () => {
    const { stoppedMs, output } = await killParentOfUp('scheduler', ['--scheduler', '--nodes', '3'], {
      ' up mysql ': 1,
      ' server -c ': 1,
      ' agent -c ': 3,
      ' supervise -c ': 3,
      mariadbd: 3,
      'etcd --name=pilotfish': 1,
    });
    console.log(`up --scheduler: cluster stopped ${stoppedMs} ms after its parent shell was killed`);
    expect(output).toMatch(/^pilotfish up: parent gone: stopping the job/m);
    expect(output).toMatch(/^pilotfish up: stopped$/m);
  });
});
