import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { PilotfishError } from '../common/errors.js';
import { ChunkQueue } from './chunk-queue.js';

/**
 * AES-256-GCM in independently authenticated chunks, so a stream of any size is encrypted with
 * bounded memory and every chunk is checked before its plaintext is released.
 *
 * Layout: header `PFE1` | chunkBytes (u32 BE) | key check (8 bytes), then chunks of
 * nonce (12) | ciphertext (≤ chunkBytes) | tag (16). Every chunk but the last holds exactly
 * `chunkBytes`. Each chunk's AAD is header | index (u64 BE) | final flag (1 byte), so dropping,
 * reordering or truncating chunks fails authentication. The key check (a hash of the key) lets a
 * wrong key be told apart from tampered data at the first bytes.
 */

export const ENCRYPTION_ALGORITHM = 'aes-256-gcm-chunked';
export const DEFAULT_CHUNK_BYTES = 1 << 20;
const MAGIC = Buffer.from('PFE1');
const HEADER_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A 32-byte key from its secret value: 64 hex characters or base64. The value never appears in errors. */
export function parseEncryptionKey(value: string, secretName: string): Buffer {
  const text = value.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) {
    throw new PilotfishError(
      'CONFIG_INVALID',
      `secret ${secretName} must hold a 32-byte AES-256 key as 64 hex characters or base64 (it decodes to ${key.length} bytes); generate one with: openssl rand -hex 32`,
    );
  }
  return key;
}

function keyCheck(key: Buffer): Buffer {
  return createHash('sha256').update('pilotfish-backup-key-check').update(key).digest().subarray(0, 8);
}

function aad(header: Buffer, index: number, final: boolean): Buffer {
  const tail = Buffer.alloc(9);
  tail.writeBigUInt64BE(BigInt(index));
  tail[8] = final ? 1 : 0;
  return Buffer.concat([header, tail]);
}

/** Thrown by the decrypting stream; the restore turns it into BACKUP_DECRYPT_FAILED after checking the checksum. */
export class DecryptError extends Error {
  constructor(
    message: string,
    readonly wrongKey: boolean,
  ) {
    super(message);
    this.name = 'DecryptError';
  }
}

export function createEncryptStream(key: Buffer, chunkBytes = DEFAULT_CHUNK_BYTES): Transform {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(chunkBytes, 4);
  keyCheck(key).copy(header, 8);
  const queue = new ChunkQueue();
  let index = 0;
  let headerSent = false;
  const sendHeader = (stream: Transform) => {
    if (!headerSent) stream.push(header);
    headerSent = true;
  };
  const seal = (plain: Buffer, final: boolean): Buffer => {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(aad(header, index++, final));
    const body = cipher.update(plain);
    cipher.final();
    return Buffer.concat([nonce, body, cipher.getAuthTag()]);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      sendHeader(this);
      queue.push(chunk);
      // Hold back a full chunk until more data shows it is not the last one.
      while (queue.length > chunkBytes) this.push(seal(queue.take(chunkBytes), false));
      callback();
    },
    flush(callback: TransformCallback) {
      sendHeader(this);
      this.push(seal(queue.take(queue.length), true));
      callback();
    },
  });
}

export function createDecryptStream(key: Buffer): Transform {
  const queue = new ChunkQueue();
  let header: Buffer | null = null;
  let blockBytes = 0;
  let index = 0;
  const open = (block: Buffer, final: boolean): Buffer => {
    if (block.length < NONCE_BYTES + TAG_BYTES) throw new DecryptError('encrypted stream is truncated', false);
    const decipher = createDecipheriv('aes-256-gcm', key, block.subarray(0, NONCE_BYTES));
    decipher.setAAD(aad(header as Buffer, index++, final));
    decipher.setAuthTag(block.subarray(block.length - TAG_BYTES));
    const plain = decipher.update(block.subarray(NONCE_BYTES, block.length - TAG_BYTES));
    try {
      decipher.final();
    } catch {
      throw new DecryptError(`chunk ${index - 1} failed authentication (tampered, truncated or reordered data)`, false);
    }
    return plain;
  };
  const readHeader = (): void => {
    const candidate = queue.take(HEADER_BYTES);
    if (!candidate.subarray(0, 4).equals(MAGIC)) throw new DecryptError('data is not a pilotfish encrypted stream', false);
    if (!candidate.subarray(8, 16).equals(keyCheck(key))) {
      throw new DecryptError('the key does not match the key the backup was encrypted with', true);
    }
    header = candidate;
    blockBytes = NONCE_BYTES + candidate.readUInt32BE(4) + TAG_BYTES;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        queue.push(chunk);
        if (header === null && queue.length >= HEADER_BYTES) readHeader();
        while (header !== null && queue.length > blockBytes) this.push(open(queue.take(blockBytes), false));
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (header === null) throw new DecryptError('encrypted stream is shorter than its header', false);
        this.push(open(queue.take(queue.length), true));
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}
