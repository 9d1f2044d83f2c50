import { execa } from 'execa';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startEtcd, type EtcdHandle } from '../../../support/etcd.js';
import { pilotfishBin } from '../../../support/paths.js';
import { freePort } from '../../../support/ports.js';
import { killRecorded, spawnTracked } from '../../../support/processes.js';
import { tempDir } from '../../../support/tmp.js';
import { waitFor } from '../../../support/wait.js';

const work = tempDir('pf-dir-bad-');
let etcd: EtcdHandle;
beforeAll(async () => {
  etcd = await startEtcd();
  mkdirSync(join(work.path, 'secrets'), { recursive: true, mode: 0o700 });
  writeFileSync(join(work.path, 'secrets', 'status-token'), 'bad-input-token', { mode: 0o600 });
});
afterAll(async () => {
  await etcd?.stop();
  work.remove();
});

async function configWith(name: string, directory: Record<string, unknown>): Promise<string> {
  const file = join(work.path, `${name}.yaml`);
  const config = {
    cluster: name,
    member: { name: 'm1' },
    coordinator: { etcd: { endpoints: [etcd.endpoint], ttl: '5s' } },
    secrets: { file: { dir: join(work.path, 'secrets') } },
    objectStore: { fs: { path: join(work.path, 'backups') } },
    status: { listen: `127.0.0.1:${await freePort()}` },
    recipe: { directory },
  };
  writeFileSync(file, stringify(config));
  return file;
}

function pilotfish(args: string[]) {
  return execa(process.execPath, [pilotfishBin, ...args], { reject: false, timeout: 30_000, env: { ...process.env, PILOTFISH_HA__LOOP_WAIT: '200ms' } });
}

describe('directory recipe: bad input', () => {
  test('DirectoryConfig_missingCommandAndRelativePath_errorsNameTheFieldsAndTheFix', async () => {
    const file = await configWith('bad-fields', { path: 'relative/dir' });
    const result = await pilotfish(['config', 'check', '-c', file]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('recipe.directory.command');
    expect(result.stderr).toMatch(/recipe\.directory\.path: must be an absolute path, e\.g\. \/var\/lib\/myapp \(got "relative\/dir"\)/);
  });

  test('DirectorySupervise_pathIsAFile_refusedAndTheFileUntouched', async () => {
    const path = join(work.path, 'a-file');
    writeFileSync(path, 'precious');
    const file = await configWith('path-file', { command: ['/bin/true'], path });
    const result = await pilotfish(['supervise', '-c', file]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain(`recipe.directory.path: ${path} is not a directory`);
    expect(readFileSync(path, 'utf8')).toBe('precious');
  });

  test('DirectorySupervise_commandExitsAtOnce_restartedWithBackoffAndTheDirectoryKept', async () => {
    const path = join(work.path, 'kept');
    mkdirSync(path);
    writeFileSync(join(path, 'state.db'), 'precious');
    const file = await configWith('exits', { command: ['/bin/sh', '-c', 'exit 3'], path });
    const log = join(work.path, 'exits.log');
    const proc = spawnTracked(process.execPath, [pilotfishBin, 'supervise', '-c', file], { logFile: log, env: { ...process.env, PILOTFISH_HA__LOOP_WAIT: '200ms' } });
    try {
      await waitFor('the application restarted twice', () => (readFileSync(log, 'utf8').match(/child exited unexpectedly; restarting/g) ?? []).length >= 2, { timeoutMs: 30_000 });
      expect(readFileSync(join(path, 'state.db'), 'utf8')).toBe('precious');
    } finally {
      await proc.stop(15_000);
      killRecorded(proc.pid);
    }
    expect(readFileSync(join(path, 'state.db'), 'utf8')).toBe('precious');
  });
});
