import { PilotfishError } from '../../common/errors.js';
import type { ObjectStoreConfig } from '../config.js';
import type { ObjectStore } from './object-store.js';

/**
 * Builds the ObjectStore the config names (`fs` or `s3`). Adapters load with dynamic `import()`
 * so the AWS SDK is only loaded when S3 is used.
 */
export async function createObjectStore(config: ObjectStoreConfig): Promise<ObjectStore> {
  if (config.s3) {
    const { S3ObjectStore } = await import('./s3.js');
    return new S3ObjectStore(config.s3);
  }
  if (config.fs) {
    const { FsObjectStore } = await import('./fs.js');
    return new FsObjectStore(config.fs.path);
  }
  throw new PilotfishError('CONFIG_INVALID', 'objectStore: set exactly one of fs, s3');
}
