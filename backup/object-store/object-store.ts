import type { Readable } from 'node:stream';

/**
 * The ObjectStore port: a flat namespace of immutable objects (S3, a directory).
 * Adapters translate calls and errors only; key layout and policy live in `backup/`.
 *
 * Every method takes an optional AbortSignal and throws PilotfishError `OBJECT_STORE_UNAVAILABLE`
 * (retryable) on transport failures. Absent keys are `null` return values, not errors.
 */

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export interface PutOptions {
  signal?: AbortSignal;
  /** Known size, when there is one; lets adapters skip multipart for small objects. */
  size?: number;
  contentType?: string;
}

export interface ObjectStore {
  readonly kind: 'fs' | 's3';

  /**
   * Streams `body` into `key`. The object becomes visible only when the whole stream was stored
   * (filesystem: temp name then rename; S3: multipart completed). On failure or abort nothing
   * is left visible (S3: the multipart upload is aborted). Returns the stored size in bytes.
   */
  put(key: string, body: Readable, options?: PutOptions): Promise<number>;

  /** A stream of the object's bytes, or `null` when absent. */
  get(key: string, signal?: AbortSignal): Promise<Readable | null>;

  /** Size and date, or `null` when absent. */
  head(key: string, signal?: AbortSignal): Promise<ObjectInfo | null>;

  /** Every object whose key starts with `prefix`, sorted by key. */
  list(prefix: string, signal?: AbortSignal): Promise<ObjectInfo[]>;

  /** Deletes one object. Idempotent. */
  delete(key: string, signal?: AbortSignal): Promise<void>;
}
