import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { PilotfishError } from '../../common/errors.js';
import { backupKey } from '../layout.js';
import type { Manifest } from '../manifest.js';
import type { ObjectStore } from '../object-store/object-store.js';
import { UnsealError, seal, unseal } from './sealed-object.js';
import { type SnapshotIndex, parseSnapshotIndex } from './snapshot-index.js';
import { type SnapshotKeys, snapshotKeys } from './snapshot-keys.js';

/** The keys that open a snapshot's objects: the given ones when it is encrypted, none when it is plain. */
export function keysFor(manifest: Manifest, given: SnapshotKeys): SnapshotKeys {
  return manifest.encryption ? given : snapshotKeys();
}

/** Largest index a restore will decompress: about five million entries. */
const MAX_INDEX_BYTES = 1 << 30;

/** Stores the index of snapshot `index.id` at `key`, sealed like a chunk; returns the stored size and SHA-256. */
export async function putIndex(
  store: ObjectStore,
  key: string,
  index: SnapshotIndex,
  keys: SnapshotKeys,
  level: number,
  signal?: AbortSignal,
): Promise<{ bytes: number; sha256: string }> {
  const sealed = seal(Buffer.from(JSON.stringify(index)), keys, `index:${index.id}`, level);
  await store.put(key, Readable.from([sealed]), { size: sealed.length, contentType: 'application/octet-stream', signal });
  return { bytes: sealed.length, sha256: createHash('sha256').update(sealed).digest('hex') };
}

/**
 * Reads and checks the index a snapshot manifest names: SHA-256 against the manifest, then
 * decryption and decompression. Errors: BACKUP_CHECKSUM_MISMATCH (missing, damaged or not an
 * index), BACKUP_DECRYPT_FAILED (encrypted and no key, or another key). A plain snapshot is read
 * as plain whatever key is given, so one key configured for a cluster reads both kinds.
 */
export async function getIndex(
  store: ObjectStore,
  prefix: string,
  manifest: Manifest,
  given: SnapshotKeys,
  signal?: AbortSignal,
): Promise<SnapshotIndex> {
  const keys = keysFor(manifest, given);
  if (manifest.encryption && !keys.sealKey) {
    throw new PilotfishError(
      'BACKUP_DECRYPT_FAILED',
      `backup ${manifest.id} is encrypted with key ${manifest.encryption.keyName}; configure backup.encryption.keySecret`,
    );
  }
  const damaged = (what: string) =>
    new PilotfishError('BACKUP_CHECKSUM_MISMATCH', `backup ${manifest.id}: index ${manifest.dataObject} ${what}; the backup is damaged, restore another one`, {
      details: { id: manifest.id },
    });
  const body = await store.get(backupKey(prefix, manifest.cluster, manifest.id, manifest.dataObject), signal);
  if (!body) throw damaged('is missing');
  const stored = await buffer(body);
  const actual = createHash('sha256').update(stored).digest('hex');
  if (actual !== manifest.sha256) throw damaged(`has SHA-256 ${actual}, the manifest says ${manifest.sha256}`);
  let plain: Buffer;
  try {
    plain = unseal(stored, keys, `index:${manifest.id}`, { maxBytes: MAX_INDEX_BYTES });
  } catch (err) {
    if (err instanceof UnsealError && err.reason === 'wrong-key') {
      throw new PilotfishError(
        'BACKUP_DECRYPT_FAILED',
        `backup ${manifest.id} could not be decrypted: the key in secret ${keys.keyName ?? '(none)'} is not the key ${manifest.encryption?.keyName ?? '(none)'} the backup was encrypted with`,
        { cause: err },
      );
    }
    throw damaged((err as Error).message);
  }
  const index = parseSnapshotIndex(plain.toString('utf8'));
  if (!index || index.id !== manifest.id) throw damaged('is not a snapshot index of this backup');
  return index;
}
