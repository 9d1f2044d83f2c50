import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import { PilotfishError } from '../../common/errors.js';
import type { ObjectStoreConfig } from '../config.js';
import type { ObjectInfo, ObjectStore, PutOptions } from './object-store.js';

type S3Config = NonNullable<ObjectStoreConfig['s3']>;

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

function unavailable(op: string, key: string, err: unknown): Error {
  if ((err as Error)?.name === 'AbortError') return err as Error;
  return new PilotfishError('OBJECT_STORE_UNAVAILABLE', `S3 ${op} ${key} failed: ${(err as Error).message}`, {
    retryable: true,
    cause: err,
  });
}

/**
 * ObjectStore on S3 or any S3-compatible endpoint. Uploads are multipart (`partSizeMb` ×
 * `queueSize` bytes in memory at most) and are aborted on failure, so nothing becomes visible.
 * Credentials come from the config or, when absent, the standard AWS chain.
 */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  private readonly client: S3Client;

  constructor(private readonly config: S3Config) {
    this.client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      // A copy: the configuration is frozen, and the SDK annotates the credentials object it is given.
      credentials: config.credentials ? { ...config.credentials } : undefined,
    });
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<number> {
    const abortController = new AbortController();
    const onAbort = () => abortController.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.config.bucket, Key: key, Body: body, ContentType: options.contentType },
      partSize: this.config.partSizeMb * 1024 * 1024,
      queueSize: this.config.queueSize,
      leavePartsOnError: false,
      abortController,
    });
    try {
      await upload.done();
    } catch (err) {
      body.destroy();
      abortController.abort();
      // lib-storage aborts on most failures; repeat it (idempotent) so a cancelled upload leaves no parts.
      const uploadId = (upload as unknown as { uploadId?: string }).uploadId;
      if (uploadId) {
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket: this.config.bucket, Key: key, UploadId: uploadId }))
          .catch(() => undefined);
      }
      throw unavailable('put', key, err);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    return (await this.head(key, options.signal))?.size ?? 0;
  }

  async get(key: string, signal?: AbortSignal): Promise<Readable | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: key }), { abortSignal: signal });
      return out.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw unavailable('get', key, err);
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectInfo | null> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: key }), { abortSignal: signal });
      return { key, size: out.ContentLength ?? 0, lastModified: out.LastModified ?? new Date(0) };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw unavailable('head', key, err);
    }
  }

  async list(prefix: string, signal?: AbortSignal): Promise<ObjectInfo[]> {
    const found: ObjectInfo[] = [];
    let token: string | undefined;
    try {
      do {
        const page: ListObjectsV2CommandOutput = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: prefix, ContinuationToken: token }),
          { abortSignal: signal },
        );
        for (const item of page.Contents ?? []) {
          if (item.Key) found.push({ key: item.Key, size: item.Size ?? 0, lastModified: item.LastModified ?? new Date(0) });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw unavailable('list', prefix, err);
    }
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: key }), { abortSignal: signal });
    } catch (err) {
      if (isNotFound(err)) return;
      throw unavailable('delete', key, err);
    }
  }
}
