import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, test } from 'vitest';
import { createDecryptStream, createEncryptStream, parseEncryptionKey } from '../../../backup/encryption.js';

const key = randomBytes(32);
const CHUNK = 1024;
const BLOCK = 12 + CHUNK + 16;

async function encrypt(plain: Buffer, pieces = 7): Promise<Buffer> {
  const parts = Array.from({ length: pieces }, (_, i) => plain.subarray((i * plain.length) / pieces, ((i + 1) * plain.length) / pieces));
  return buffer(Readable.from(parts).pipe(createEncryptStream(key, CHUNK)));
}

async function decrypt(sealed: Buffer, withKey = key): Promise<Buffer> {
  return buffer(Readable.from([sealed]).pipe(createDecryptStream(withKey)));
}

describe('chunked AES-256-GCM', () => {
  test.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK, 5 * CHUNK + 333])('Encryption_roundTrip_%i bytes', async (size) => {
    const plain = randomBytes(size);
    const sealed = await encrypt(plain);
    expect(sealed.length).toBe(16 + Math.max(1, Math.ceil(size / CHUNK)) * 28 + size);
    expect(Buffer.compare(await decrypt(sealed), plain)).toBe(0);
  });

  test('Encryption_truncatedAtChunkBoundary_detected', async () => {
    const sealed = await encrypt(randomBytes(4 * CHUNK + 10));
    await expect(decrypt(sealed.subarray(0, 16 + 2 * BLOCK))).rejects.toThrow(/chunk 1 failed authentication/);
  });

  test('Encryption_reorderedChunks_detected', async () => {
    const sealed = await encrypt(randomBytes(4 * CHUNK + 10));
    const swapped = Buffer.concat([sealed.subarray(0, 16), sealed.subarray(16 + BLOCK, 16 + 2 * BLOCK), sealed.subarray(16, 16 + BLOCK), sealed.subarray(16 + 2 * BLOCK)]);
    await expect(decrypt(swapped)).rejects.toThrow(/chunk 0 failed authentication/);
  });

  test('Encryption_flippedByte_detected', async () => {
    const sealed = await encrypt(randomBytes(3 * CHUNK));
    sealed[16 + BLOCK + 40] = sealed[16 + BLOCK + 40]! ^ 1;
    await expect(decrypt(sealed)).rejects.toThrow(/chunk 1 failed authentication/);
  });

  test('Encryption_wrongKey_toldApartAtHeader', async () => {
    const sealed = await encrypt(randomBytes(100));
    await expect(decrypt(sealed, randomBytes(32))).rejects.toMatchObject({ wrongKey: true });
  });

  test('EncryptionKey_parse_acceptsHexAndBase64RejectsOtherLengths', () => {
    expect(parseEncryptionKey(key.toString('hex'), 'k')).toEqual(key);
    expect(parseEncryptionKey(`${key.toString('base64')}\n`, 'k')).toEqual(key);
    expect(() => parseEncryptionKey('c2hvcnQ=', 'backup-key')).toThrow(/secret backup-key must hold a 32-byte AES-256 key.*5 bytes/);
  });
});
