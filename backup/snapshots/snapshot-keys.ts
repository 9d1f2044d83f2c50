import { createHash, createHmac, hkdfSync } from 'node:crypto';
import type { EncryptionKey } from '../create-backup.js';

/**
 * Keys of one snapshot repository, derived from the backup key with HKDF-SHA-256 under distinct
 * labels, so the key that names chunks (HMAC) is never the key that encrypts them, and neither is
 * the backup key itself. Without encryption chunks are named by the SHA-256 of their plaintext.
 */
export interface SnapshotKeys {
  /** `sha256` (plain) or `hmac-sha256` (encrypted): recorded in every index. */
  readonly idScheme: 'sha256' | 'hmac-sha256';
  /** HMAC key for chunk ids; `null` without encryption. */
  readonly idKey: Buffer | null;
  /** AES-256-GCM key for chunk and index objects; `null` without encryption. */
  readonly sealKey: Buffer | null;
  /** 8 bytes stored in every sealed object, so a wrong key is told apart from damaged data. */
  readonly keyCheck: Buffer | null;
  /** The SecretStore name of the backup key, for messages (never the key). */
  readonly keyName: string | null;
}

const SALT = Buffer.from('pilotfish-snapshots-v1');

function derive(key: Buffer, label: string, bytes: number): Buffer {
  return Buffer.from(hkdfSync('sha256', key, SALT, label, bytes));
}

export function snapshotKeys(encryption?: EncryptionKey): SnapshotKeys {
  if (!encryption) return { idScheme: 'sha256', idKey: null, sealKey: null, keyCheck: null, keyName: null };
  return {
    idScheme: 'hmac-sha256',
    idKey: derive(encryption.key, 'chunk-id', 32),
    sealKey: derive(encryption.key, 'seal', 32),
    keyCheck: derive(encryption.key, 'key-check', 8),
    keyName: encryption.keyName,
  };
}

/** The id (64 hex) of a chunk: SHA-256 of the plaintext, or its HMAC-SHA-256 under the id key. */
export function chunkId(keys: SnapshotKeys, plain: Buffer): string {
  return (keys.idKey ? createHmac('sha256', keys.idKey) : createHash('sha256')).update(plain).digest('hex');
}
