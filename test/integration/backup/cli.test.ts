import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Manifest } from '../../../backup/manifest.js';
import { startMariadb, type MariadbHandle } from '../../support/mariadb.js';
import { pilotfishBin } from '../../support/paths.js';
import { tempDir } from '../../support/tmp.js';

// `pilotfish backup …` as a real process (the built CLI) against a real mariadbd and an fs store.
const work = tempDir('pf-bkcli-');
const config = join(work.path, 'pilotfish.yaml');
const env = { PILOTFISH_SECRET_BACKUP_KEY: randomBytes(32).toString('hex'), PILOTFISH_LOG_LEVEL: 'warn' };
let db: MariadbHandle;

function cli(...args: string[]) {
  return execa(process.execPath, [pilotfishBin, 'backup', ...args, '-c', config], { env, reject: false, stdin: 'ignore' });
}

beforeAll(async () => {
  db = await startMariadb({ args: ['--log-bin=cli-bin', '--server-id=7', '--log-basename=cli'] });
  const conn = await db.connect();
  await conn.query('CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO app.t VALUES (1, "one"), (2, "two")');
  await conn.end();
  await writeFile(
    config,
    [
      'cluster: cli-test',
      'coordinator: { etcd: { endpoints: ["http://127.0.0.1:2379"] } }',
      `objectStore: { fs: { path: ${JSON.stringify(join(work.path, 'store'))} }, prefix: pf }`,
      'backup: { encryption: { keySecret: backup-key }, compression: { level: 3 } }',
      `recipe: { mysql: { dataDir: ${JSON.stringify(db.dataDir)} } }`,
    ].join('\n'),
  );
});

afterAll(async () => {
  await db?.stop();
  work.remove();
});

describe('pilotfish backup', () => {
  test('BackupCli_physicalCreateListShowVerify_roundTrip', async () => {
    const created = await cli('create', '--socket', db.socket, '--user', 'root', '--json');
    expect(created.stderr).not.toMatch(/PilotfishError/);
    expect(created.exitCode).toBe(0);
    const manifest = JSON.parse(created.stdout) as Manifest;
    expect(manifest).toMatchObject({ source: 'mysql-physical', encryption: { keyName: 'backup-key' }, position: { gtid: '0-7-3' } });

    const listed = JSON.parse((await cli('list', '--json')).stdout) as Manifest[];
    expect(listed.map((m) => m.id)).toEqual([manifest.id]);
    expect(JSON.parse((await cli('show', 'latest', '--json')).stdout)).toEqual(manifest);

    const verified = await cli('verify', manifest.id);
    expect(`${verified.stdout}${verified.stderr}`).toMatch(new RegExp(`verified ${manifest.id}: prepared; mariadbd started and listed \\d+ InnoDB tables`));
    expect(verified.exitCode).toBe(0);
  });

  test('BackupCli_logicalCreateRestore_dumpCarriesGtid', async () => {
    const created = await cli('create', '--source', 'logical', '--socket', db.socket, '--user', 'root', '--json');
    expect(created.exitCode).toBe(0);
    const manifest = JSON.parse(created.stdout) as Manifest;
    expect(manifest.position).toMatchObject({ gtid: '0-7-3', binlogFile: 'cli-bin.000001' });
    const target = join(work.path, 'logical');
    const restored = await cli('restore', manifest.id, '--target', target);
    expect(restored.exitCode).toBe(0);
    const dump = await readFile(join(target, 'backup.sql'), 'utf8');
    expect(/INSERT INTO `t` VALUES\s*\(1,'one'\),\s*\(2,'two'\)/.test(dump)).toBe(true);
  });

  test('BackupCli_directoryRestore_refusesNonEmptyTargetThenForceKeepsOldAside', async () => {
    const src = join(work.path, 'files');
    await mkdir(join(src, 'sub'), { recursive: true });
    await writeFile(join(src, 'sub', 'a.txt'), 'alpha');
    const manifest = JSON.parse((await cli('create', '--directory', src, '--json')).stdout) as Manifest;
    const target = join(work.path, 'dir-target');
    await mkdir(target);
    await writeFile(join(target, 'old.txt'), 'old');
    const refused = await cli('restore', manifest.id, '--target', target);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/is not empty; pass --force.*RESTORE_TARGET_NOT_EMPTY/);
    const forced = await cli('restore', manifest.id, '--target', target, '--force');
    expect(forced.exitCode).toBe(0);
    expect(await readFile(join(target, 'sub', 'a.txt'), 'utf8')).toBe('alpha');
    const aside = (await readdir(work.path)).filter((name) => name.startsWith('dir-target.old-'));
    expect(aside).toHaveLength(1);
    expect(await readFile(join(work.path, aside[0]!, 'old.txt'), 'utf8')).toBe('old');
  });

  test('BackupCli_unknownIdAndMissingKey_clearErrorsNonZeroExit', async () => {
    const shown = await cli('show', '20200101T000000000Z-000000');
    expect(shown.exitCode).toBe(1);
    expect(shown.stderr).toMatch(/no backup 20200101T000000000Z-000000 in cluster cli-test.*BACKUP_NOT_FOUND/);
    const noKey = await execa(process.execPath, [pilotfishBin, 'backup', 'create', '--directory', work.path, '-c', config], { reject: false, env: { PILOTFISH_LOG_LEVEL: 'warn' } });
    expect(noKey.exitCode).toBe(1);
    expect(noKey.stderr).toMatch(/secret "backup-key" not found: environment variable PILOTFISH_SECRET_BACKUP_KEY is not set/);
  });

  test('BackupCli_prune_keepsNewestAndReportsPlan', async () => {
    const plan = JSON.parse((await cli('prune', '--dry-run', '--json')).stdout) as { keep: string[]; remove: string[] };
    expect(plan.keep.length).toBeGreaterThanOrEqual(1);
    expect(plan.remove).toEqual([]);
  });
});
