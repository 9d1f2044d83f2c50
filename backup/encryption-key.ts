import type { EncryptionKey } from './create-backup.js';
import { parseEncryptionKey } from './encryption.js';

/** Anything that hands out secrets by name: the SecretStore port, or a stand-in. */
export interface SecretReader {
  get(name: string): Promise<string>;
}

/**
 * Reads the backup key named `keySecret` (64 hex characters or base64 of 32 bytes). Throws the
 * store's SECRET_NOT_FOUND, or CONFIG_INVALID when the value is not a 32-byte key; never the value.
 */
export async function loadEncryptionKey(secrets: SecretReader, keySecret: string): Promise<EncryptionKey> {
  return { keyName: keySecret, key: parseEncryptionKey(await secrets.get(keySecret), keySecret) };
}
