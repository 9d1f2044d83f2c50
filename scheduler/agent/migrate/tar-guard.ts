import type { Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { PilotfishError } from '../../../common/errors.js';
import { ENTRY_TYPES, checkEntryName, checkHardlinkTarget, checkSymlinkTarget } from './tar-entry-rules.js';

/**
 * A pass-through stream that parses tar headers as the bytes flow by and forwards a header to
 * the next stage (`tar -x`) only after the entry passed every rule in `tar-entry-rules.ts`. On the
 * first bad entry it fails with MIGRATION_FAILED naming the entry; nothing of that entry, nor
 * anything after it, has been forwarded. File contents are counted, not copied or inspected, so the
 * guard costs almost nothing next to the I/O.
 *
 * Validated bytes leave as one slice of the input chunk (only a header split across chunks is
 * copied and sent on its own): forwarding each header and each file's data separately meant a
 * write to `tar` per piece, two per small file, and those writes and the wake-ups of `tar` they
 * cause cost more than everything else the receiver does but hashing.
 *
 * It mirrors how GNU tar reads: 512-byte blocks, header checksum, octal or base-256 sizes, ustar
 * `prefix`, GNU `L`/`K` long names. After the end-of-archive marker (two zero blocks) only zero
 * bytes may follow; they are checked but not forwarded.
 */

const BLOCK = 512;

function field(header: Buffer, offset: number, length: number): string {
  const slice = header.subarray(offset, offset + length);
  const end = slice.indexOf(0);
  return slice.subarray(0, end === -1 ? length : end).toString('utf8');
}

function parseSize(header: Buffer): number {
  const raw = header.subarray(124, 136);
  if (((raw[0] ?? 0) & 0x80) !== 0) {
    // GNU base-256: big-endian binary in the remaining 11 bytes (positive sizes only).
    let value = 0;
    for (let i = 1; i < raw.length; i++) value = value * 256 + (raw[i] ?? 0);
    return value;
  }
  const text = field(header, 124, 12).trim();
  if (text !== '' && !/^[0-7]+$/.test(text)) throw new Error(`invalid size field ${JSON.stringify(text)}`);
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  const stored = parseInt(field(header, 148, 8).trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
  return stored === sum;
}

const padded = (size: number): number => Math.ceil(size / BLOCK) * BLOCK;

/** Parses and validates a tar stream while passing it through. */
export class TarGuard extends Transform {
  private header: Buffer = Buffer.alloc(0);
  /** Bytes of the current entry's (padded) data still to pass. */
  private skip = 0;
  /** Collecting the data of an `L`/`K` entry: its exact size and the bytes so far. */
  private collect: { kind: 'longname' | 'longlink'; size: number; chunks: Buffer[]; got: number } | null = null;
  private longName: string | null = null;
  private longLink: string | null = null;
  private ended = false;
  private zeroBlocks = 0;
  /** Entries accepted so far (for reports and tests). */
  entries = 0;
  /** Bytes seen so far. */
  bytes = 0;

  /** `hash`, when given, is fed every byte seen (one pass over the data instead of two stages). */
  constructor(private readonly hash?: Hash) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.hash?.update(chunk);
      this.bytes += chunk.length;
      this.scan(chunk);
      callback();
    } catch (err) {
      callback(err instanceof PilotfishError ? err : new PilotfishError('MIGRATION_FAILED', `invalid archive: ${(err as Error).message}`));
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.header.length > 0 || this.skip > 0 || this.collect !== null) {
      callback(new PilotfishError('MIGRATION_FAILED', 'archive truncated in the middle of an entry'));
      return;
    }
    callback();
  }

  /**
   * Consumes `chunk`, forwarding each header once validated and entry data as it comes. Bytes of
   * the chunk from `from` up to `pos` are validated and not yet forwarded; they leave in one slice.
   */
  private scan(chunk: Buffer): void {
    let pos = 0;
    let from = 0;
    while (pos < chunk.length) {
      if (this.ended) {
        // The record padding after the end marker is checked and swallowed: `tar -x` stops reading
        // at the marker and may exit, so forwarding more could only fail with EPIPE.
        for (let i = pos; i < chunk.length; i++) if (chunk[i] !== 0) throw this.reject('data after the end-of-archive marker');
        break;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - pos);
        if (this.collect !== null) this.collectBytes(chunk.subarray(pos, pos + n));
        this.skip -= n;
        pos += n;
        if (this.skip === 0 && this.collect !== null) this.finishCollect();
        continue;
      }
      if (this.header.length === 0 && chunk.length - pos >= BLOCK) {
        // A header whole inside the chunk: validated in place and forwarded with its neighbours.
        this.onHeader(chunk.subarray(pos, pos + BLOCK));
        pos += BLOCK;
        continue;
      }
      // A header split across chunks: what precedes it leaves now, the header itself once complete.
      if (pos > from) this.push(chunk.subarray(from, pos));
      const take = Math.min(BLOCK - this.header.length, chunk.length - pos);
      this.header = Buffer.concat([this.header, chunk.subarray(pos, pos + take)]);
      pos += take;
      from = pos;
      if (this.header.length < BLOCK) return; // held back until complete: a partial header is never forwarded
      const header = this.header;
      this.header = Buffer.alloc(0);
      this.onHeader(header);
      this.push(header);
    }
    if (pos > from) this.push(chunk.subarray(from, pos));
  }

  private onHeader(header: Buffer): void {
    if (header.every((byte) => byte === 0)) {
      // The end-of-archive marker is two zero blocks; both reach `tar`, nothing after them does.
      this.zeroBlocks++;
      if (this.zeroBlocks === 2) this.ended = true;
      return;
    }
    if (this.zeroBlocks > 0) throw this.reject('a lone zero block inside the archive');
    if (!checksumOk(header)) throw this.reject('header checksum mismatch');
    const flag = String.fromCharCode(header[156] ?? 0);
    const kind = ENTRY_TYPES[flag];
    const size = parseSize(header);
    const ustar = field(header, 257, 6).startsWith('ustar');
    const prefix = ustar && field(header, 257, 8) !== 'ustar  ' ? field(header, 345, 155) : '';
    const headerName = prefix !== '' ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100);
    const name = this.longName ?? headerName;
    if (kind === undefined) throw this.reject(`entry ${JSON.stringify(name)} has unsupported type ${JSON.stringify(flag)}`);
    if (kind === 'longname' || kind === 'longlink') {
      if (size > 64 * 1024) throw this.reject(`long name of ${size} bytes`);
      this.collect = { kind, size, chunks: [], got: 0 };
      this.skip = padded(size);
      if (this.skip === 0) this.finishCollect();
      return;
    }
    const link = this.longLink ?? field(header, 157, 100);
    this.longName = null;
    this.longLink = null;
    const violation =
      checkEntryName(name) ??
      (kind === 'hardlink' ? checkHardlinkTarget(name, link) : kind === 'symlink' ? checkSymlinkTarget(name, link) : null);
    if (violation !== null) throw this.reject(violation);
    if (kind !== 'file' && size !== 0) throw this.reject(`${kind} ${JSON.stringify(name)} carries ${size} data bytes`);
    this.skip = padded(size);
    this.entries++;
  }

  private collectBytes(bytes: Buffer): void {
    const c = this.collect;
    if (c === null) return;
    const wanted = Math.max(0, c.size - c.got);
    if (wanted > 0) c.chunks.push(bytes.subarray(0, Math.min(wanted, bytes.length)));
    c.got += bytes.length;
  }

  private finishCollect(): void {
    const c = this.collect;
    this.collect = null;
    if (c === null) return;
    const text = Buffer.concat(c.chunks).toString('utf8');
    const end = text.indexOf('\0');
    const value = end === -1 ? text : text.slice(0, end);
    if (c.kind === 'longname') this.longName = value;
    else this.longLink = value;
  }

  private reject(reason: string): PilotfishError {
    return new PilotfishError('MIGRATION_FAILED', `migration archive rejected: ${reason}`);
  }
}
