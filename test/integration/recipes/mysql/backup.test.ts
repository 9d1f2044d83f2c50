import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { silentLogger } from '../../../../common/logger.js';
import { Catalog, createBackup, restoreBackup, type Manifest, type ObjectStore } from '../../../../backup/index.js';
import { backupKey } from '../../../../backup/layout.js';
import { S3ObjectStore } from '../../../../backup/object-store/s3.js';
import { MysqlPhysicalSource } from '../../../../recipes/mysql/backup/physical-source.js';
import { mysqlRestorePrepare } from '../../../../recipes/mysql/backup/prepare.js';
import { startMariadb, type MariadbHandle } from '../../../support/mariadb.js';
import { checksumTables, datasetMb, generateDataset } from '../../../support/mysql-dataset.js';
import { startS3, type S3Handle } from '../../../support/s3.js';
import { tempDir } from '../../../support/tmp.js';

// Acceptance 1–3: a real mariadbd with ~200 MB, backed up to a real S3 endpoint (s3rver) and restored.
const BINLOG_ARGS = ['--log-bin=pf-bin', '--server-id=1', '--log-basename=pf', '--innodb-log-file-size=256M'];
const logger = silentLogger();
const prefix = 'it';
const cluster = 'alpha';
const encryption = { keyName: 'backup-key', key: randomBytes(32) };

let db: MariadbHandle;
let s3: S3Handle;
let store: ObjectStore;
let tables: string[];
let sourceChecksums: Record<string, string>;
let backup: Manifest;
let gtidAtBackup: string;
const work = tempDir('pf-bkit-');
const handles: Array<{ stop(): Promise<void> }> = [];

const source = () => new MysqlPhysicalSource({ connection: { user: 'root', socket: db.socket } });
const s3Config = () => ({
  bucket: s3.bucket, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true,
  credentials: s3.credentials, partSizeMb: 8, queueSize: 2,
});

async function listing(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort();
}

beforeAll(async () => {
  [db, s3] = await Promise.all([startMariadb({ bufferPool: '256M', args: BINLOG_ARGS }), startS3()]);
  handles.push(db, s3);
  store = new S3ObjectStore(s3Config());
  const conn = await db.connect();
  tables = await generateDataset(conn, 200);
  sourceChecksums = await checksumTables(conn, tables);
  await conn.end();
  expect(await datasetMb(db.dataDir)).toBeGreaterThan(180);
});

afterAll(async () => {
  for (const handle of handles.reverse()) await handle.stop().catch(() => undefined);
  work.remove();
});

describe('MySQL physical backup to S3', () => {
  test('Backup_createAndRestore_checksumsAndGtidMatch', async () => {
    backup = await createBackup({ store, prefix, cluster, source: source(), compressionLevel: 3, encryption, member: 'db-1', logger });
    const conn = await db.connect();
    const [rows] = await conn.query('SELECT @@gtid_binlog_pos AS gtid');
    gtidAtBackup = (rows as Array<{ gtid: string }>)[0]!.gtid;
    await conn.end();
    expect(backup.position?.gtid).toBe(gtidAtBackup);
    expect(backup.position?.binlogFile).toMatch(/^pf-bin\.\d+$/);
    expect(backup.rawBytes).toBeGreaterThan(backup.storedBytes);
    expect((await new Catalog(store, prefix, cluster).latest())?.id).toBe(backup.id);

    const target = join(work.path, 'restored');
    const result = await restoreBackup({ store, prefix, cluster, id: 'latest', targetDir: target, encryption, logger, prepare: mysqlRestorePrepare() });
    expect(result.position).toEqual(backup.position);
    const restored = await startMariadb({ dataDir: target, bufferPool: '128M', args: ['--innodb-log-file-size=256M'] });
    handles.push(restored);
    const rconn = await restored.connect();
    expect(await checksumTables(rconn, tables)).toEqual(sourceChecksums);
    await rconn.end();
    await restored.shutdown();
  });

  test('Restore_flippedByte_checksumErrorNamesBackupAndTargetUnchanged', async () => {
    const key = backupKey(prefix, cluster, backup.id, backup.dataObject);
    const original = await buffer((await store.get(key))!);
    const damaged = Buffer.from(original);
    const at = Math.floor(damaged.length / 2);
    damaged[at] = damaged[at]! ^ 0x01;
    await store.put(key, Readable.from([damaged]));
    const target = join(work.path, 'occupied');
    await mkdir(target, { recursive: true });
    await writeFile(join(target, 'keep.me'), 'old data');
    const before = await listing(work.path);
    const failure = restoreBackup({ store, prefix, cluster, id: backup.id, targetDir: target, force: true, encryption, logger });
    await expect(failure).rejects.toMatchObject({ code: 'BACKUP_CHECKSUM_MISMATCH', message: expect.stringContaining(backup.id) });
    expect(await listing(work.path)).toEqual(before);
    expect(await readFile(join(target, 'keep.me'), 'utf8')).toBe('old data');
    await store.put(key, Readable.from([original]));
  });

  test('Restore_wrongKey_clearDecryptError', async () => {
    const wrong = { keyName: 'other-key', key: randomBytes(32) };
    const target = join(work.path, 'wrong-key');
    await expect(restoreBackup({ store, prefix, cluster, id: backup.id, targetDir: target, encryption: wrong, logger })).rejects.toMatchObject({
      code: 'BACKUP_DECRYPT_FAILED',
      message: expect.stringMatching(/other-key is not the key backup-key/),
    });
    await expect(readdir(target)).rejects.toThrow(/ENOENT/);
  });

  test('Catalog_uploadWithoutManifest_notListedNeverRestored', async () => {
    const orphanId = '20990101T000000000Z-abcdef';
    await store.put(backupKey(prefix, cluster, orphanId, 'data.xbstream.zst'), Readable.from([Buffer.from('partial')]));
    const ids = (await new Catalog(store, prefix, cluster).list()).map((m) => m.id);
    expect(ids).toEqual([backup.id]);
    await expect(
      restoreBackup({ store, prefix, cluster, id: orphanId, targetDir: join(work.path, 'orphan'), logger }),
    ).rejects.toMatchObject({ code: 'BACKUP_NOT_FOUND' });
    expect((await new Catalog(store, prefix, cluster).latest())?.id).toBe(backup.id);
    await store.delete(backupKey(prefix, cluster, orphanId, 'data.xbstream.zst'));
  });

  test('Backup_s3KilledMidUpload_failsCleanlyAndNextBackupSucceeds', async () => {
    let killing: Promise<void> | undefined;
    const failed = createBackup({
      store, prefix, cluster, source: source(), compressionLevel: 1, member: 'db-1', logger,
      onProgress: ({ bytes }) => {
        if (bytes > 24 * 1024 * 1024 && !killing) killing = s3.kill();
      },
    });
    await expect(failed).rejects.toMatchObject({ code: expect.stringMatching(/OBJECT_STORE_UNAVAILABLE|BACKUP_FAILED/) });
    expect(killing).toBeDefined();
    await killing;
    await s3.start();
    const conn = await db.connect();
    await conn.query('SELECT 1');
    await conn.end();
    const ids = (await new Catalog(store, prefix, cluster).list()).map((m) => m.id);
    expect(ids).toEqual([backup.id]);
    const keys = (await store.list(`${prefix}/${cluster}/backups/`)).map((o) => o.key);
    expect(keys.filter((k) => !k.includes(backup.id))).toEqual([]);
    const uploads = await new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials })
      .send(new ListMultipartUploadsCommand({ Bucket: s3.bucket }))
      .then((out) => out.Uploads ?? [], () => null); // s3rver may not implement ListMultipartUploads
    if (uploads !== null) expect(uploads.filter((u) => u.Key?.startsWith(`${prefix}/`))).toEqual([]);

    const next = await createBackup({ store, prefix, cluster, source: source(), compressionLevel: 1, member: 'db-1', logger });
    expect((await new Catalog(store, prefix, cluster).list()).map((m) => m.id)).toEqual([backup.id, next.id]);
  });
});
