import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, open, readFile, readdir, readlink, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { Catalog, applyRetention, createSnapshot, pruneChunks, restoreBackup, restoreSnapshot } from '../../../backup/index.js';
import { FsObjectStore } from '../../../backup/object-store/fs.js';
import { createLogger, silentLogger } from '../../../common/logger.js';
import { captureLogLines } from '../../support/log-capture.js';
import { repoRoot } from '../../support/paths.js';
import { spawnTracked } from '../../support/processes.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

// Snapshots of real directories into the filesystem store, restored and compared entry by entry.
const work = tempDir('pf-snap-');
const storeRoot = join(work.path, 'store');
const store = new FsObjectStore(storeRoot);
const logger = silentLogger();
const common = { store, prefix: 'pf', member: 'm1', logger };
const key = { keyName: 'backup-key', key: randomBytes(32) };
afterAll(() => work.remove());

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Incompressible bytes that are the same in every run (AES-CTR keystream), so chunk boundaries are too. */
function pseudoRandom(bytes: number, seed: string): Buffer {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(bytes)), cipher.final()]);
}

/** Every entry under `root`: type, mode, size, content hash or link target; mtimes apart (they are compared with a tolerance). */
async function describeTree(root: string): Promise<{ shape: Record<string, string>; mtimes: Record<string, number> }> {
  const shape: Record<string, string> = {};
  const mtimes: Record<string, number> = {};
  const visit = async (abs: string): Promise<void> => {
    const info = await lstat(abs);
    const path = relative(root, abs) || '.';
    const mode = (info.mode & 0o7777).toString(8);
    if (info.isSymbolicLink()) shape[path] = `link ${mode} -> ${await readlink(abs)}`;
    else if (info.isFile()) shape[path] = `file ${mode} ${info.size} ${sha256(await readFile(abs))}`;
    else if (info.isDirectory()) {
      shape[path] = `dir ${mode}`;
      for (const name of await readdir(abs)) await visit(join(abs, name));
    }
    if (!info.isSymbolicLink()) mtimes[path] = info.mtimeMs;
  };
  await visit(root);
  return { shape, mtimes };
}

async function expectSameTree(restored: string, source: string): Promise<void> {
  const [a, b] = await Promise.all([describeTree(restored), describeTree(source)]);
  expect(a.shape).toEqual(b.shape);
  for (const [path, mtime] of Object.entries(b.mtimes)) expect(Math.abs((a.mtimes[path] ?? 0) - mtime), path).toBeLessThan(1);
}

const chunkFiles = async (cluster: string) => (await store.list(`pf/${cluster}/chunks/`)).map((o) => o.key.split('/').at(-1) as string);

describe('directory snapshots', () => {
  const src = join(work.path, 'src');
  const bigFile = join(src, 'data', 'big.bin');
  let firstStored = 0;

  test('Snapshot_roundTrip_restoresTreeModesLinksTimesAndSkipsSpecialFiles', async () => {
    await mkdir(join(src, 'data', 'nested', 'deeper'), { recursive: true });
    await mkdir(join(src, 'empty'));
    await writeFile(bigFile, pseudoRandom(20 << 20, 'big file'));
    await writeFile(join(src, 'data', 'nested', 'deeper', 'script.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    await writeFile(join(src, 'secret.conf'), 'password=hunter2\n', { mode: 0o600 });
    await writeFile(join(src, 'empty-file'), '');
    await mkdir(join(src, 'small'));
    for (let i = 0; i < 300; i++) await writeFile(join(src, 'small', `f${i}.txt`), `file ${i} `.repeat(i + 1));
    await symlink('data/nested', join(src, 'link-to-dir'));
    await symlink('missing-target', join(src, 'dangling'));
    await chmod(join(src, 'data', 'nested'), 0o750);
    await utimes(join(src, 'secret.conf'), new Date('2020-01-02T03:04:05.678Z'), new Date('2020-01-02T03:04:05.678Z'));
    await utimes(join(src, 'empty'), new Date('2021-05-06T07:08:09Z'), new Date('2021-05-06T07:08:09Z'));
    await execa('mkfifo', [join(src, 'pipe')]);
    const rootTimes = await stat(src);
    const capture = captureLogLines();
    const manifest = await createSnapshot({ ...common, cluster: 'snap', sourceDir: src, logger: createLogger({ level: 'warn', destination: capture.destination }) });
    await rm(join(src, 'pipe'));
    await utimes(src, rootTimes.atime, rootTimes.mtime);
    expect(manifest).toMatchObject({ format: 'chunks', source: 'directory-snapshot', dataObject: 'index.json.zst', encryption: null, chunksReused: 0 });
    expect(manifest.rawBytes).toBe((20 << 20) + 18 + 17 + [...Array(300).keys()].reduce((sum, i) => sum + `file ${i} `.length * (i + 1), 0));
    expect(manifest.chunksNew).toBeGreaterThan(10);
    expect(capture.lines.join('')).toMatch(/snapshot skips a special file.*"path":"pipe"|"path":"pipe".*snapshot skips a special file/);
    firstStored = manifest.storedBytes;
    const target = join(work.path, 'restored-1');
    const result = await restoreSnapshot({ ...common, cluster: 'snap', id: manifest.id, targetDir: target });
    expect(result.previousDir).toBeNull();
    await expectSameTree(target, src);
    expect((await new Catalog(store, 'pf', 'snap').list()).map((m) => m.id)).toEqual([manifest.id]);
  });

  test('Snapshot_oneMiBChangedInLargeFile_uploadsOnlyAFewChunks', async () => {
    const handle = await open(bigFile, 'r+');
    await handle.write(pseudoRandom(1 << 20, 'edit'), 0, 1 << 20, 9 << 20);
    await handle.close();
    const second = await createSnapshot({ ...common, cluster: 'snap', sourceDir: src });
    expect(second.parent).toBeDefined();
    expect(second.chunksNew).toBeLessThanOrEqual(8);
    expect(second.storedBytes).toBeLessThanOrEqual(firstStored * 0.1);
    expect(second.dedupBytes).toBeGreaterThan(16 << 20);
    // restoreBackup hands a snapshot to restoreSnapshot, so the CLI restores both kinds.
    const target = join(work.path, 'restored-2');
    await restoreBackup({ ...common, cluster: 'snap', id: 'latest', targetDir: target });
    await expectSameTree(target, src);
  });

  test('SnapshotRestore_reuseTarget_copiesMatchingFilesProvesThemAndDownloadsTheRest', async () => {
    const warm = join(work.path, 'restored-1'); // snapshot 1: big.bin differs from the latest snapshot
    const tampered = join(warm, 'secret.conf'); // same size and mtime, other content: must not be kept
    const times = await stat(tampered);
    await writeFile(tampered, 'password=hunter3\n');
    await utimes(tampered, times.atime, times.mtime);
    const oldShape = (await describeTree(warm)).shape;
    const result = await restoreSnapshot({ ...common, cluster: 'snap', id: 'latest', targetDir: warm, force: true, reuseTarget: true });
    expect(result.reusedFiles).toBe(300 + 3 - 1); // every file but big.bin and secret.conf
    await expectSameTree(warm, src);
    expect((await describeTree(result.previousDir as string)).shape).toEqual(oldShape);
  });

  test('Snapshot_encrypted_roundTripsNamesRevealNothingAndWrongKeyFailsClearly', async () => {
    const manifest = await createSnapshot({ ...common, cluster: 'enc', sourceDir: join(src, 'small'), encryption: key });
    expect(manifest).toMatchObject({ dataObject: 'index.json.zst.aes', encryption: { algorithm: 'aes-256-gcm-hkdf', keyName: 'backup-key' } });
    const names = await chunkFiles('enc');
    expect(names).not.toContain(sha256(await readFile(join(src, 'small', 'f42.txt'))));
    const stored = await readFile(join(storeRoot, 'pf', 'enc', 'chunks', names[0]!.slice(0, 2), names[0]!));
    expect(stored.includes(Buffer.from('file '))).toBe(false);
    const target = join(work.path, 'restored-enc');
    await restoreSnapshot({ ...common, cluster: 'enc', id: manifest.id, targetDir: target, encryption: key });
    await expectSameTree(target, join(src, 'small'));
    const wrong = join(work.path, 'restored-wrong');
    await expect(restoreSnapshot({ ...common, cluster: 'enc', id: manifest.id, targetDir: wrong, encryption: { keyName: 'other-key', key: randomBytes(32) } })).rejects.toMatchObject({
      code: 'BACKUP_DECRYPT_FAILED',
      message: expect.stringContaining('the key in secret other-key is not the key backup-key the backup was encrypted with'),
    });
    await expect(restoreSnapshot({ ...common, cluster: 'enc', id: manifest.id, targetDir: wrong })).rejects.toMatchObject({ code: 'BACKUP_DECRYPT_FAILED' });
    expect((await readdir(work.path)).filter((name) => name.includes('restored-wrong'))).toEqual([]);
  });

  test('SnapshotRestore_flippedByteInChunk_checksumMismatchAndTargetUntouched', async () => {
    const dir = join(work.path, 'flip-src');
    await mkdir(dir);
    await writeFile(join(dir, 'blob'), randomBytes(3 << 20));
    const manifest = await createSnapshot({ ...common, cluster: 'flip', sourceDir: dir });
    const [chunk] = (await store.list('pf/flip/chunks/')).sort((a, b) => b.size - a.size);
    const path = join(storeRoot, chunk!.key);
    const bytes = await readFile(path);
    const middle = bytes.length >> 1;
    bytes.writeUInt8((bytes[middle] as number) ^ 0x01, middle);
    await writeFile(path, bytes);
    const target = join(work.path, 'flip-target');
    await mkdir(target);
    await writeFile(join(target, 'keep.txt'), 'previous contents');
    const id = chunk!.key.split('/').at(-1);
    await expect(restoreSnapshot({ ...common, cluster: 'flip', id: manifest.id, targetDir: target, force: true })).rejects.toMatchObject({
      code: 'BACKUP_CHECKSUM_MISMATCH',
      message: expect.stringContaining(`backup ${manifest.id}: chunk ${id}`),
    });
    expect(await readdir(target)).toEqual(['keep.txt']);
    expect(await readFile(join(target, 'keep.txt'), 'utf8')).toBe('previous contents');
    expect((await readdir(work.path)).filter((name) => name.startsWith('flip-target.old-') || name.startsWith('.flip-target.restore-'))).toEqual([]);
  });

  test('Snapshot_fileRewrittenWhileRead_inconsistentWithoutManifestThenSucceedsOnceStable', async () => {
    const dir = join(work.path, 'busy');
    await mkdir(dir);
    await writeFile(join(dir, 'quiet.txt'), 'stable');
    const busy = join(dir, 'busy.db');
    const writer = spawnTracked(process.execPath, [join(repoRoot, 'test', 'fixtures', 'file-rewriter.mjs'), busy, String(16 << 10), '60000'], { stdout: 'pipe' });
    try {
      await waitFor('the writer to finish its first pass', async () => (await stat(busy).catch(() => null))?.size === 16 << 20, { timeoutMs: 20_000, intervalMs: 20 });
      await expect(createSnapshot({ ...common, cluster: 'busy', sourceDir: dir, retries: 2 })).rejects.toMatchObject({
        code: 'BACKUP_INCONSISTENT',
        message: expect.stringContaining('file busy.db changed while it was read, 3 times'),
      });
      expect(await new Catalog(store, 'pf', 'busy').list()).toEqual([]);
      expect((await store.list('pf/busy/backups/')).map((o) => o.key)).toEqual([]);
    } finally {
      await writer.kill();
    }
    const manifest = await createSnapshot({ ...common, cluster: 'busy', sourceDir: dir });
    expect((await new Catalog(store, 'pf', 'busy').list()).map((m) => m.id)).toEqual([manifest.id]);
    const target = join(work.path, 'busy-restored');
    await restoreSnapshot({ ...common, cluster: 'busy', id: manifest.id, targetDir: target });
    await expectSameTree(target, dir);
  });

  test('PruneChunks_olderBackupRemoved_keepsSharedChunksDeletesOnlyUnreferencedPastGrace', async () => {
    const dir = join(work.path, 'prune-src');
    await mkdir(dir);
    await writeFile(join(dir, 'shared.bin'), randomBytes(6 << 20));
    const onlyOld = randomBytes(100 << 10);
    await writeFile(join(dir, 'only-old.bin'), onlyOld);
    const older = await createSnapshot({ ...common, cluster: 'prune', sourceDir: dir });
    await rm(join(dir, 'only-old.bin'));
    await writeFile(join(dir, 'only-new.bin'), randomBytes(100 << 10));
    const newer = await createSnapshot({ ...common, cluster: 'prune', sourceDir: dir });
    expect(newer.chunksReused).toBeGreaterThan(0);
    const catalog = new Catalog(store, 'pf', 'prune');
    const plan = await applyRetention({ store, catalog, policy: { keepLast: 1, keepWithinMs: 0, orphanGraceMs: 0 }, logger });
    expect(plan.remove).toEqual([older.id]);
    const before = await chunkFiles('prune');
    expect(before).toContain(sha256(onlyOld));
    const young = await pruneChunks({ store, prefix: 'pf', cluster: 'prune', logger, graceMs: 3_600_000 });
    expect(young).toMatchObject({ deleted: 0, young: 1 });
    const pruned = await pruneChunks({ store, prefix: 'pf', cluster: 'prune', logger, graceMs: 0, now: () => new Date(Date.now() + 1000) });
    expect(pruned).toMatchObject({ deleted: 1, young: 0 });
    expect((await chunkFiles('prune')).sort()).toEqual(before.filter((id) => id !== sha256(onlyOld)).sort());
    const target = join(work.path, 'prune-restored');
    await restoreSnapshot({ ...common, cluster: 'prune', id: newer.id, targetDir: target });
    await expectSameTree(target, dir);
  });

  test('Snapshot_unchangedFilesOfParent_skippedWithoutReadingAndChangedOnesRead', async () => {
    const dir = join(work.path, 'skip-src');
    await mkdir(join(dir, 'sub'), { recursive: true });
    for (let i = 0; i < 20; i++) await writeFile(join(dir, 'sub', `f${i}`), pseudoRandom(50_000 + i, `skip ${i}`));
    // The parent's clock runs ahead, so no file falls in the window where a same-tick change could hide.
    const parent = await createSnapshot({ ...common, cluster: 'skip', sourceDir: dir, now: () => new Date(Date.now() + 10_000) });
    await writeFile(join(dir, 'sub', 'f3'), pseudoRandom(50_003, 'changed'));
    const capture = captureLogLines();
    const child = await createSnapshot({ ...common, cluster: 'skip', sourceDir: dir, logger: createLogger({ level: 'info', destination: capture.destination }) });
    expect(child.parent).toBe(parent.id);
    const finished = JSON.parse(capture.lines.find((line) => line.includes('snapshot finished')) ?? '{}') as Record<string, unknown>;
    expect(finished).toMatchObject({ filesRead: 1, filesSkipped: 19, chunksNew: 1 });
    expect(child.dedupBytes).toBe(child.rawBytes - 50_003);
    const target = join(work.path, 'skip-restored');
    await restoreSnapshot({ ...common, cluster: 'skip', id: child.id, targetDir: target });
    await expectSameTree(target, dir);
  });

  test('SnapshotRestore_linkLeadingOutside_refusedAndTargetAbsent', async () => {
    const dir = join(work.path, 'evil');
    await mkdir(dir);
    await symlink('/etc', join(dir, 'escape'));
    const manifest = await createSnapshot({ ...common, cluster: 'evil', sourceDir: dir });
    const target = join(work.path, 'evil-target');
    await expect(restoreSnapshot({ ...common, cluster: 'evil', id: manifest.id, targetDir: target })).rejects.toMatchObject({
      code: 'RESTORE_FAILED',
      message: expect.stringContaining('link leading outside the target: escape'),
    });
    expect((await readdir(work.path)).filter((name) => name.includes('evil-target'))).toEqual([]);
  });
});
