import { Readable } from 'node:stream';
import type { ObjectStore } from '../object-store/object-store.js';
import { chunkKey, chunksPrefix, parseChunkKey } from './layout.js';
import { seal } from './sealed-object.js';
import type { ChunkRef } from './snapshot-index.js';
import { type SnapshotKeys, chunkId } from './snapshot-keys.js';

/** What one snapshot uploaded and reused. */
export interface UploadStats {
  chunksNew: number;
  chunksReused: number;
  /** Stored (compressed, encrypted) bytes of the new chunks. */
  storedBytes: number;
  /** Plaintext bytes that were not uploaded because their chunk was already stored. */
  dedupBytes: number;
}

/**
 * Uploads the chunks a snapshot produces, each once. Which chunks exist comes from one listing of
 * `chunks/` when the uploader opens, plus what it uploaded itself, so no chunk costs a HEAD.
 * At most `concurrency` uploads run at once; `add` waits while they do, which bounds memory to
 * that many sealed chunks and pushes back on the reader.
 */
export class ChunkUploader {
  readonly stats: UploadStats = { chunksNew: 0, chunksReused: 0, storedBytes: 0, dedupBytes: 0 };
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { err: unknown } | null = null;

  private constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    private readonly cluster: string,
    private readonly keys: SnapshotKeys,
    private readonly level: number,
    private readonly concurrency: number,
    private readonly known: Set<string>,
    private readonly signal?: AbortSignal,
  ) {}

  static async open(options: {
    store: ObjectStore;
    prefix: string;
    cluster: string;
    keys: SnapshotKeys;
    level: number;
    concurrency: number;
    signal?: AbortSignal;
  }): Promise<ChunkUploader> {
    const known = await listChunkIds(options.store, options.prefix, options.cluster, options.signal);
    return new ChunkUploader(options.store, options.prefix, options.cluster, options.keys, options.level, options.concurrency, known, options.signal);
  }

  /** Chunks the store held when the uploader opened. */
  get knownAtStart(): number {
    return this.known.size - this.stats.chunksNew;
  }

  /** Names the chunk, queues its upload when it is new, and returns its reference. */
  async add(plain: Buffer): Promise<ChunkRef> {
    this.throwIfFailed();
    const id = chunkId(this.keys, plain);
    if (this.known.has(id)) {
      this.stats.chunksReused++;
      this.stats.dedupBytes += plain.length;
      return [id, plain.length];
    }
    this.known.add(id);
    this.stats.chunksNew++;
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const sealed = seal(plain, this.keys, `chunk:${id}`, this.level);
    const upload: Promise<void> = this.store
      .put(chunkKey(this.prefix, this.cluster, id), Readable.from([sealed]), { size: sealed.length, signal: this.signal })
      .then(
        () => {
          this.stats.storedBytes += sealed.length;
        },
        (err: unknown) => {
          this.failure ??= { err };
        },
      )
      .finally(() => this.inFlight.delete(upload));
    this.inFlight.add(upload);
    return [id, plain.length];
  }

  /** Waits for every queued upload; throws the first upload failure. */
  async drain(): Promise<void> {
    await Promise.all(this.inFlight);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.err;
  }
}

/** Ids of every chunk in the cluster's chunk store (one listing). */
export async function listChunkIds(store: ObjectStore, prefix: string, cluster: string, signal?: AbortSignal): Promise<Set<string>> {
  const base = chunksPrefix(prefix, cluster);
  const ids = new Set<string>();
  for (const object of await store.list(base, signal)) {
    const id = parseChunkKey(base, object.key);
    if (id) ids.add(id);
  }
  return ids;
}
