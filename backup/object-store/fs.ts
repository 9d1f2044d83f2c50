import { randomBytes } from 'node:crypto';
import { createWriteStream, fdatasync, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PilotfishError } from '../../common/errors.js';
import type { ObjectInfo, ObjectStore, PutOptions } from './object-store.js';

/** Bytes between background flushes, so the final fsync has little left to write. */
const FLUSH_EVERY_BYTES = 32 * 1024 * 1024;

/**
 * Starts an fdatasync every FLUSH_EVERY_BYTES while the object streams in, one at a time, so disk
 * writes overlap with the producer instead of all landing in the final fsync.
 */
class BackgroundFlush {
  private fd: number | null = null;
  private pending: Promise<void> | null = null;
  readonly stream: Transform;

  constructor(out: WriteStream) {
    out.once('open', (fd: number) => (this.fd = fd));
    let sinceFlush = 0;
    this.stream = new Transform({
      highWaterMark: 1 << 20,
      transform: (chunk: Buffer, _encoding, callback) => {
        sinceFlush += chunk.length;
        if (sinceFlush >= FLUSH_EVERY_BYTES && this.pending === null && this.fd !== null) {
          sinceFlush = 0;
          const fd = this.fd;
          this.pending = new Promise<void>((resolve) => fdatasync(fd, () => resolve())).then(() => {
            this.pending = null;
          });
        }
        callback(null, chunk);
      },
    });
  }

  async idle(): Promise<void> {
    await this.pending;
  }
}

/** Temporary files carry this marker; `list` never shows them. */
const TEMP_MARKER = '.pf-partial-';

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

function unavailable(op: string, key: string, err: unknown): PilotfishError {
  return new PilotfishError('OBJECT_STORE_UNAVAILABLE', `object store directory: ${op} ${key} failed: ${(err as Error).message}`, {
    retryable: true,
    cause: err,
  });
}

/**
 * ObjectStore on a local directory: keys are relative paths. `put` writes a temporary sibling,
 * fsyncs it, renames it into place and fsyncs the directory, so a crash never leaves half an object.
 */
export class FsObjectStore implements ObjectStore {
  readonly kind = 'fs' as const;

  constructor(private readonly root: string) {}

  private path(key: string): string {
    const path = join(this.root, key);
    if (relative(this.root, path).startsWith('..') || key.includes('\0')) {
      throw new PilotfishError('INTERNAL', `object key ${JSON.stringify(key)} escapes the store directory`);
    }
    return path;
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<number> {
    const target = this.path(key);
    const temp = `${target}${TEMP_MARKER}${randomBytes(6).toString('hex')}`;
    try {
      await mkdir(dirname(target), { recursive: true });
      const out = createWriteStream(temp, { highWaterMark: 1 << 20 });
      const flusher = new BackgroundFlush(out);
      await pipeline(body, flusher.stream, out, { signal: options.signal });
      await flusher.idle();
      const handle = await open(temp, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
      const dir = await open(dirname(target), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
      return (await stat(target)).size;
    } catch (err) {
      await rm(temp, { force: true });
      if (err instanceof PilotfishError || (err as Error).name === 'AbortError') throw err;
      throw unavailable('put', key, err);
    }
  }

  async get(key: string): Promise<Readable | null> {
    const path = this.path(key);
    try {
      const handle = await open(path, 'r');
      return handle.createReadStream({ highWaterMark: 1 << 20 });
    } catch (err) {
      if (isNotFound(err)) return null;
      throw unavailable('get', key, err);
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const info = await stat(this.path(key));
      return info.isFile() ? { key, size: info.size, lastModified: info.mtime } : null;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw unavailable('head', key, err);
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const found: ObjectInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isNotFound(err)) return;
        throw unavailable('list', prefix, err);
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile() && !entry.name.includes(TEMP_MARKER)) {
          const key = relative(this.root, path).split(sep).join('/');
          if (!key.startsWith(prefix)) continue;
          const info = await stat(path).catch(() => null);
          if (info) found.push({ key, size: info.size, lastModified: info.mtime });
        }
      }
    };
    // Walk only the deepest directory the prefix names completely.
    const slash = prefix.lastIndexOf('/');
    await walk(slash < 0 ? this.root : this.path(prefix.slice(0, slash)));
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    try {
      await rm(this.path(key), { force: true });
    } catch (err) {
      throw unavailable('delete', key, err);
    }
  }
}
