/**
 * Builds tar archives byte by byte, so tests can craft entries a well-behaved `tar -c` would never
 * write (`../x`, `/etc/x`, symlinks out of the tree, bad checksums).
 */

/** One crafted entry. `type` is the tar type flag ('0' file, '2' symlink, '5' dir, …). */
export interface CraftedEntry {
  name: string;
  type?: string;
  data?: Buffer | string;
  linkname?: string;
  mode?: number;
  /** Corrupts the header checksum. */
  badChecksum?: boolean;
}

function put(block: Buffer, offset: number, length: number, value: string): void {
  block.write(value.slice(0, length), offset, 'utf8');
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

function header(entry: CraftedEntry, size: number): Buffer {
  const block = Buffer.alloc(512);
  put(block, 0, 100, entry.name);
  put(block, 100, 8, octal(entry.mode ?? 0o644, 8));
  put(block, 108, 8, octal(0, 8));
  put(block, 116, 8, octal(0, 8));
  put(block, 124, 12, octal(size, 12));
  put(block, 136, 12, octal(Math.floor(Date.now() / 1000), 12));
  put(block, 156, 1, entry.type ?? '0');
  put(block, 157, 100, entry.linkname ?? '');
  put(block, 257, 8, 'ustar\u000000');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  put(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  if (entry.badChecksum === true) put(block, 148, 8, '0000001\0');
  return block;
}

/** A whole archive with the two zero blocks at its end. */
export function craftTar(entries: readonly CraftedEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.data === undefined ? Buffer.alloc(0) : Buffer.from(entry.data);
    parts.push(header(entry, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
