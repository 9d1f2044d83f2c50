import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../../bin/commands/status.js';
import { pilotfishBin } from '../../support/paths.js';
import { killRecorded, processesMentioning, spawnTracked, type TrackedProcess } from '../../support/processes.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

const tmp = tempDir('pf-up-');
const stateDir = join(tmp.path, '.pilotfish');
const env = { ...process.env, PILOTFISH_HA__LOOP_WAIT: '500ms' };

afterAll(() => {
  for (const pid of processesMentioning(tmp.path)) killRecorded(pid);
  tmp.remove();
});

async function up(run: number): Promise<{ proc: TrackedProcess; url: string; output: () => string; startedMs: number }> {
  const logFile = join(tmp.path, `up-${run}.out`);
  const t0 = Date.now();
  // the README's first command, `npm run up`, runs exactly this in the current directory
  const proc = spawnTracked(process.execPath, [pilotfishBin, 'up', 'mysql'], { cwd: tmp.path, env, logFile });
  const output = () => readFileSync(logFile, 'utf8');
  const url = await waitFor('the primary line', () => /^primary: (mysql:\/\/\S+)$/m.exec(output())?.[1], { timeoutMs: 90_000, intervalMs: 200 });
  return { proc, url, output, startedMs: Date.now() - t0 };
}

async function status(): Promise<ClusterStatus> {
  const { stdout } = await execa(process.execPath, [pilotfishBin, 'status', '-c', join(stateDir, 'pilotfish.yaml'), '--json'], { env });
  return JSON.parse(stdout) as ClusterStatus;
}

describe('pilotfish up mysql', () => {
  it('Up_freshDirectory_startsClusterPrintsConnectionAndResumesAfterCtrlC', async () => {
    const first = await up(1);
    console.log(`primary line printed after ${first.startedMs} ms`);
    expect(first.url).toMatch(/^mysql:\/\/app:[^@]+@127\.0\.0\.1:\d+\/app$/);
    const conn = await mysql.createConnection(first.url);
    await conn.query('CREATE TABLE kept (id INT PRIMARY KEY)');
    await conn.query('INSERT INTO kept VALUES (42)');
    await conn.end();
    const s = await waitFor('one primary and two healthy replicas', async () => {
      const st = await status();
      const ok = st.members.filter((m) => m.role === 'primary' && m.healthy).length === 1 && st.members.filter((m) => m.role === 'replica' && m.healthy).length === 2;
      return ok ? st : null;
    }, { timeoutMs: 30_000 });
    expect(Object.keys(s).sort()).toEqual(['cluster', 'lastBackup', 'members']);
    expect(Object.keys(s.members[0]!).sort()).toEqual(['healthy', 'host', 'lagSeconds', 'name', 'port', 'position', 'role']);
    expect(Object.keys(s.lastBackup!).sort()).toEqual(['at', 'id', 'position']);
    expect(readFileSync(join(stateDir, 'secrets', 'app-password'), 'utf8')).not.toBe('');

    // Ctrl-C: everything stops cleanly
    const t0 = Date.now();
    first.proc.signal('SIGINT');
    await first.proc.exited;
    console.log(`stopped ${Date.now() - t0} ms after SIGINT`);
    expect(first.proc.child.exitCode).toBe(0);
    expect(processesMentioning(tmp.path)).toEqual([]);
    for (const name of ['db-1', 'db-2', 'db-3']) {
      expect(readFileSync(join(stateDir, 'members', name, 'run', 'error.log'), 'utf8')).toMatch(/Shutdown complete/);
    }

    // again on the same directory: the same cluster, with its data
    const second = await up(2);
    expect(second.url).toMatch(/^mysql:\/\/app:/);
    expect(second.output()).not.toContain('initialising');
    const again = await mysql.createConnection(second.url);
    const [rows] = await again.query('SELECT id FROM kept');
    expect(rows).toEqual([{ id: 42 }]);
    await again.end();
    second.proc.signal('SIGTERM');
    await second.proc.exited;
    expect(processesMentioning(tmp.path)).toEqual([]);
  });
});
