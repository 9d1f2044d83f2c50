import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../../bin/commands/status.js';
import { pilotfishBin } from '../../support/paths.js';
import { killRecorded, processesMentioning, spawnTracked } from '../../support/processes.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { WRITER } from './cluster.js';

const tmp = tempDir('pf-up-dir-');
const stateDir = join(tmp.path, 'state');
const env = { ...process.env, PILOTFISH_HA__LOOP_WAIT: '500ms' };

afterAll(() => {
  for (const pid of processesMentioning(tmp.path)) killRecorded(pid);
  tmp.remove();
});

const lines = (member: string) =>
  readdirSync(join(stateDir, 'members', member, 'data', 'logs')).flatMap((f) =>
    readFileSync(join(stateDir, 'members', member, 'data', 'logs', f), 'utf8').split('\n').filter(Boolean),
  );

describe('pilotfish up directory', () => {
  it('UpDirectory_twoMembers_oneRunsTheAppTheOtherStandsByAndCtrlCKeepsEveryLine', async () => {
    const logFile = join(tmp.path, 'up.out');
    const proc = spawnTracked(process.execPath, [pilotfishBin, 'up', 'directory', '--members', '2', '--dir', stateDir, '--command', `${process.execPath} ${WRITER}`], {
      cwd: tmp.path,
      env,
      logFile,
    });
    const output = () => readFileSync(logFile, 'utf8');
    const primary = await waitFor('the primary line', () => /^primary: (app-\d) runs the application/m.exec(output())?.[1], { timeoutMs: 90_000, intervalMs: 200 });
    const standby = primary === 'app-1' ? 'app-2' : 'app-1';
    expect(output()).toContain(`standby ${standby}: keeps`);
    const config = join(stateDir, 'pilotfish.yaml');
    const status = await waitFor('a backup and the standby following it', async () => {
      const { stdout } = await execa(process.execPath, [pilotfishBin, 'status', '-c', config, '--json'], { env });
      const s = JSON.parse(stdout) as ClusterStatus;
      const roles = Object.fromEntries(s.members.map((m) => [m.name, m.role]));
      return s.lastBackup && roles[primary] === 'primary' && roles[standby] === 'standby' ? s : null;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    expect(status.members).toHaveLength(2);

    // Ctrl-C: the primary stops its application, takes a final backup, and only then lets go.
    proc.signal('SIGINT');
    await waitFor('up to stop', () => /pilotfish up: stopped/.test(output()), { timeoutMs: 90_000, intervalMs: 200 });
    await proc.exited;
    const written = lines(primary);
    expect(written.length).toBeGreaterThan(10);
    const { stdout } = await execa(process.execPath, [pilotfishBin, 'backup', 'list', '-c', config, '--json'], { env });
    const backups = JSON.parse(stdout) as { id: string; member: string }[];
    const last = backups.at(-1)!;
    expect(last.member).toBe(primary);
    const target = join(tmp.path, 'last');
    await execa(process.execPath, [pilotfishBin, 'backup', 'restore', last.id, '--target', target, '-c', config], { env });
    const restored = readdirSync(join(target, 'logs')).flatMap((f) => readFileSync(join(target, 'logs', f), 'utf8').split('\n').filter(Boolean));
    expect(restored.sort()).toEqual(written.sort());
  });
});
