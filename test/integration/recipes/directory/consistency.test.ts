import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Catalog } from '../../../../backup/catalog.js';
import { createBackup } from '../../../../backup/create-backup.js';
import { FsObjectStore } from '../../../../backup/object-store/fs.js';
import { restoreBackup } from '../../../../backup/restore.js';
import { silentLogger } from '../../../../common/logger.js';
import { directoryRecipeSchema } from '../../../../recipes/directory/config.js';
import { TrackedSnapshotSource } from '../../../../recipes/directory/directory-recipe.js';
import { repoRoot } from '../../../support/paths.js';
import { spawnTracked } from '../../../support/processes.js';
import { tempDir } from '../../../support/tmp.js';
import { waitFor } from '../../../support/wait.js';

const work = tempDir('pf-dir-torn-');
afterAll(() => work.remove());

describe('directory recipe: consistent copies', () => {
  test('DirectoryBackup_fileRewrittenWhileRead_neverRecordedAsGood', async () => {
    const path = join(work.path, 'data');
    mkdirSync(path);
    const size = 64 << 20;
    writeFileSync(join(path, 'hot.bin'), randomBytes(size));
    writeFileSync(join(path, 'cold.txt'), 'unchanged');
    const store = new FsObjectStore(join(work.path, 'store'));
    const config = directoryRecipeSchema.parse({ command: ['/bin/true'], path });
    const source = new TrackedSnapshotSource(config, undefined, silentLogger());
    const common = { store, prefix: '', cluster: 'torn', member: 'm', compressionLevel: 1, logger: silentLogger() };

    const writer = spawnTracked(process.execPath, [join(repoRoot, 'test', 'fixtures', 'apps', 'rewriter.mjs'), join(path, 'hot.bin'), String(size)], {
      stdout: 'pipe',
      env: { ...process.env, REWRITER_MAX_MS: '60000' },
    });
    let output = '';
    writer.child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('the rewriter running', () => output.includes('rewriting'), { timeoutMs: 10_000 });
    try {
      await expect(createBackup({ ...common, source })).rejects.toMatchObject({ code: 'BACKUP_INCONSISTENT', message: expect.stringContaining('hot.bin') });
      expect(await new Catalog(store, '', 'torn', silentLogger()).list()).toEqual([]);
    } finally {
      await writer.stop(5_000);
    }
    // Once the writer is quiet, the same directory backs up.
    const manifest = await createBackup({ ...common, source });
    expect(manifest.rawBytes).toBeGreaterThanOrEqual(size);
    expect(manifest.format).toBe('chunks');
  });

  test('DirectoryBackup_preBackupCommand_runsFirstAndItsFailureFailsTheBackupWithoutManifest', async () => {
    const path = join(work.path, 'hooked');
    mkdirSync(path);
    writeFileSync(join(path, 'db.txt'), 'rows');
    const store = new FsObjectStore(join(work.path, 'hook-store'));
    const common = { store, prefix: '', cluster: 'hooked', member: 'm', compressionLevel: 1, logger: silentLogger() };
    // The quiesce step writes a marker into the directory: it must be in the backup.
    const flush = directoryRecipeSchema.parse({ command: ['/bin/true'], path, preBackup: ['/bin/sh', '-c', 'echo flushed > "$PILOTFISH_DATA_DIR/flushed"'] });
    const manifest = await createBackup({ ...common, source: new TrackedSnapshotSource(flush, undefined, silentLogger()) });
    const target = join(work.path, 'hooked-restored');
    await restoreBackup({ ...common, id: manifest.id, targetDir: target });
    expect(readFileSync(join(target, 'flushed'), 'utf8')).toBe('flushed\n');

    const failing = directoryRecipeSchema.parse({ command: ['/bin/true'], path, preBackup: ['/bin/sh', '-c', 'echo not now >&2; exit 4'] });
    await expect(createBackup({ ...common, source: new TrackedSnapshotSource(failing, undefined, silentLogger()) })).rejects.toMatchObject({
      code: 'BACKUP_FAILED',
      message: expect.stringMatching(/recipe\.directory\.preBackup \(\/bin\/sh\) failed \(exit 4\): not now/),
    });
    expect((await new Catalog(store, '', 'hooked', silentLogger()).list()).map((m) => m.id)).toEqual([manifest.id]);
  });
});
