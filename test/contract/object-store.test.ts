import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createObjectStore } from '../../backup/object-store/factory.js';
import { deepFreeze } from '../../common/config.js';
import type { ObjectStore } from '../../backup/object-store/object-store.js';
import { startS3, type S3Handle } from '../support/s3.js';
import { tempDir } from '../support/tmp.js';

// One suite, every ObjectStore adapter: the filesystem store and S3 through a real s3rver process.
const dir = tempDir('pf-objs-');
let s3: S3Handle;

beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.stop();
  dir.remove();
});

const adapters: Array<[string, () => Promise<ObjectStore>]> = [
  ['fs', () => createObjectStore(deepFreeze({ fs: { path: dir.path }, prefix: '' }))],
  [
    's3',
    () =>
      // Frozen, as loadPilotfishConfig hands it out.
      createObjectStore(
        deepFreeze({
          prefix: '',
          s3: { bucket: s3.bucket, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: { ...s3.credentials }, partSizeMb: 5, queueSize: 2 },
        }),
      ),
  ],
];

function failingStream(afterBytes: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= afterBytes) {
        this.destroy(new Error('source broke'));
        return;
      }
      sent += 1 << 20;
      this.push(randomBytes(1 << 20));
    },
  });
}

describe.each(adapters)('ObjectStore %s', (kind, make) => {
  let store: ObjectStore;
  const base = `contract-${kind}/`;
  beforeAll(async () => {
    store = await make();
  });

  test('ObjectStore_putGet_roundTripsBytesAndSize', async () => {
    const body = randomBytes(3 * 1024 * 1024 + 17);
    expect(await store.put(`${base}a/blob`, Readable.from([body]))).toBe(body.length);
    expect(store.kind).toBe(kind);
    expect(Buffer.compare(await buffer((await store.get(`${base}a/blob`))!), body)).toBe(0);
    const info = await store.head(`${base}a/blob`);
    expect(info?.size).toBe(body.length);
    expect(info?.lastModified.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  test('ObjectStore_multipartStream_storesLargeBodies', async () => {
    const parts = Array.from({ length: 12 }, () => randomBytes(1 << 20));
    expect(await store.put(`${base}big`, Readable.from(parts))).toBe(12 << 20);
    expect(Buffer.compare(await buffer((await store.get(`${base}big`))!), Buffer.concat(parts))).toBe(0);
  });

  test('ObjectStore_absentKey_isNullNotError', async () => {
    expect(await store.get(`${base}missing`)).toBeNull();
    expect(await store.head(`${base}missing`)).toBeNull();
    await store.delete(`${base}missing`);
  });

  test('ObjectStore_list_sortedByKeyUnderPrefixOnly', async () => {
    for (const key of ['l/b', 'l/a', 'l/c/d', 'lx/e']) await store.put(`${base}${key}`, Readable.from([Buffer.from(key)]));
    expect((await store.list(`${base}l/`)).map((o) => o.key)).toEqual([`${base}l/a`, `${base}l/b`, `${base}l/c/d`]);
    expect((await store.list(`${base}nothing/`)).map((o) => o.key)).toEqual([]);
  });

  test('ObjectStore_delete_isIdempotent', async () => {
    await store.put(`${base}d`, Readable.from([Buffer.from('x')]));
    await store.delete(`${base}d`);
    await store.delete(`${base}d`);
    expect(await store.head(`${base}d`)).toBeNull();
  });

  test('ObjectStore_failingBody_leavesNothingVisible', async () => {
    await expect(store.put(`${base}broken`, failingStream(12 << 20))).rejects.toThrow();
    expect(await store.head(`${base}broken`)).toBeNull();
    expect((await store.list(`${base}broken`)).map((o) => o.key)).toEqual([]);
  });

  test('ObjectStore_abortedPut_leavesNothingVisible', async () => {
    const controller = new AbortController();
    const body = new Readable({ read() {} });
    const putting = store.put(`${base}aborted`, body, { signal: controller.signal });
    body.push(randomBytes(6 << 20));
    setImmediate(() => controller.abort());
    await expect(putting).rejects.toThrow();
    expect(await store.head(`${base}aborted`)).toBeNull();
  });
});

test('ObjectStore_s3Unreachable_throwsRetryableUnavailable', async () => {
  const store = await createObjectStore({
    prefix: '',
    s3: { bucket: 'b-x', region: 'us-east-1', endpoint: 'http://127.0.0.1:1', forcePathStyle: true, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, partSizeMb: 5, queueSize: 1 },
  });
  await expect(store.head('k')).rejects.toMatchObject({ code: 'OBJECT_STORE_UNAVAILABLE', retryable: true });
});
