import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SnapshotKeys } from './snapshot-keys.js';
import { unzstdFrame, zstdFrame } from './zstd-wasm.js';

/**
 * How a chunk or an index is stored: one zstd frame, and with encryption that frame sealed with
 * AES-256-GCM in one piece: `PFS1` | key check (8) | nonce (12) | ciphertext | tag (16). The AAD is
 * the first 12 bytes plus the object's label (`chunk:<id>`, `index:<backup id>`), so an object
 * moved to another name fails authentication. Objects are small enough (a chunk is ≤ 4 MiB) to
 * be sealed in memory; the streaming framing of encryption.ts is for single large data objects.
 */

const MAGIC = Buffer.from('PFS1');
const HEAD_BYTES = 12;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Why a stored object could not be opened; the caller turns it into a PilotfishError. */
export class UnsealError extends Error {
  constructor(
    message: string,
    readonly reason: 'wrong-key' | 'damaged',
  ) {
    super(message);
    this.name = 'UnsealError';
  }
}

export function seal(plain: Buffer, keys: SnapshotKeys, label: string, level: number): Buffer {
  const frame = zstdFrame(plain, level);
  if (!keys.sealKey || !keys.keyCheck) return frame;
  const head = Buffer.concat([MAGIC, keys.keyCheck]);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keys.sealKey, nonce);
  cipher.setAAD(Buffer.concat([head, Buffer.from(label)]));
  const body = Buffer.concat([cipher.update(frame), cipher.final()]);
  return Buffer.concat([head, nonce, body, cipher.getAuthTag()]);
}

/**
 * The plaintext of a stored object. `expectedBytes`, when known (chunks), must match the frame's
 * declared size; `maxBytes` bounds what damaged data could make the decoder allocate.
 * Throws UnsealError: `wrong-key` when the key check differs, `damaged` for everything else.
 */
export function unseal(stored: Buffer, keys: SnapshotKeys, label: string, limits: { expectedBytes?: number; maxBytes: number }): Buffer {
  let frame = stored;
  if (keys.sealKey && keys.keyCheck) {
    if (stored.length < HEAD_BYTES + NONCE_BYTES + TAG_BYTES || !stored.subarray(0, 4).equals(MAGIC)) {
      throw new UnsealError(`${label} is not an encrypted pilotfish object`, 'damaged');
    }
    if (!stored.subarray(4, HEAD_BYTES).equals(keys.keyCheck)) {
      throw new UnsealError(`${label} was encrypted with another key`, 'wrong-key');
    }
    const decipher = createDecipheriv('aes-256-gcm', keys.sealKey, stored.subarray(HEAD_BYTES, HEAD_BYTES + NONCE_BYTES));
    decipher.setAAD(Buffer.concat([stored.subarray(0, HEAD_BYTES), Buffer.from(label)]));
    decipher.setAuthTag(stored.subarray(stored.length - TAG_BYTES));
    try {
      frame = Buffer.concat([decipher.update(stored.subarray(HEAD_BYTES + NONCE_BYTES, stored.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new UnsealError(`${label} failed authentication (tampered or truncated)`, 'damaged');
    }
  } else if (stored.subarray(0, 4).equals(MAGIC)) {
    throw new UnsealError(`${label} is encrypted, but no key was given`, 'wrong-key');
  }
  const plain = unzstdFrame(frame, limits);
  if (!plain) throw new UnsealError(`${label} is not a valid zstd frame of the expected size`, 'damaged');
  return plain;
}
