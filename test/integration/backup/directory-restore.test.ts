import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createBackup, DirectorySource, restoreBackup } from '../../../backup/index.js';
import { FsObjectStore } from '../../../backup/object-store/fs.js';
import { silentLogger } from '../../../common/logger.js';
import { tempDir } from '../../support/tmp.js';

// Directory backups through the real tar and zstd binaries, into the filesystem store.
const work = tempDir('pf-bkdir-');
const store = new FsObjectStore(join(work.path, 'store'));
const logger = silentLogger();
const common = { store, prefix: '', cluster: 'dirs', logger };
afterAll(() => work.remove());

describe('directory backups', () => {
  test('DirectoryBackup_roundTrip_restoresTreeAndCountsRawBytes', async () => {
    const src = join(work.path, 'src');
    await mkdir(join(src, 'a', 'b'), { recursive: true });
    const blob = randomBytes(3 << 20);
    await writeFile(join(src, 'a', 'b', 'blob.bin'), blob);
    await writeFile(join(src, 'notes.txt'), 'hello '.repeat(10_000));
    await symlink('a/b/blob.bin', join(src, 'inside-link'));
    const manifest = await createBackup({ ...common, source: new DirectorySource(src), compressionLevel: 3, member: 'm' });
    expect(manifest.rawBytes).toBeGreaterThan(blob.length);
    expect(manifest.rawBytes % 512).toBe(0); // a tar stream is whole 512-byte records
    const target = join(work.path, 'restored');
    await restoreBackup({ ...common, id: manifest.id, targetDir: target });
    expect(Buffer.compare(await readFile(join(target, 'inside-link')), blob)).toBe(0);
    expect(await readFile(join(target, 'notes.txt'), 'utf8')).toBe('hello '.repeat(10_000));
  });

  test('DirectoryRestore_linkLeadingOutside_refusedAndTargetAbsent', async () => {
    const src = join(work.path, 'evil');
    await mkdir(src);
    await symlink('/etc', join(src, 'escape'));
    const manifest = await createBackup({ ...common, source: new DirectorySource(src), compressionLevel: 1, member: 'm' });
    const target = join(work.path, 'evil-target');
    await expect(restoreBackup({ ...common, id: manifest.id, targetDir: target })).rejects.toMatchObject({
      code: 'RESTORE_FAILED',
      message: expect.stringContaining('link leading outside the target: escape'),
    });
    expect((await readdir(work.path)).filter((name) => name.includes('evil-target'))).toEqual([]);
  });

  test('DirectoryBackup_missingDirectory_failsWithoutManifest', async () => {
    await expect(
      createBackup({ ...common, cluster: 'missing', source: new DirectorySource(join(work.path, 'nope')), compressionLevel: 1, member: 'm' }),
    ).rejects.toMatchObject({ code: 'BACKUP_FAILED', message: expect.stringContaining('tar exited with code 2') });
    expect(await store.list('missing/')).toEqual([]);
  });

  test('DirectoryBackup_toolNotInstalled_failsNamingTheToolWithoutManifest', async () => {
    const src = join(work.path, 'tool-missing');
    await mkdir(src);
    const source = new DirectorySource(src, join(work.path, 'no-such-tar'));
    await expect(createBackup({ ...common, cluster: 'no-tool', source, compressionLevel: 1, member: 'm' })).rejects.toMatchObject({
      code: 'BACKUP_FAILED',
      message: expect.stringMatching(/no-such-tar was not found: install it/),
    });
    expect(await store.list('no-tool/')).toEqual([]);
  });
});
