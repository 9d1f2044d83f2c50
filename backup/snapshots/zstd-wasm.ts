import { compress, decompress, init } from '@bokuweb/zstd-wasm';

/**
 * zstd in WebAssembly, in-process: snapshot chunks are small (≤ 4 MiB) and many, so spawning the
 * `zstd` binary per chunk would cost more than the compression. Frames are standard zstd frames
 * (an unencrypted chunk object decompresses with `zstd -d`).
 */

export const SNAPSHOT_ZSTD_LEVEL = 3;
const FRAME_MAGIC = 0xfd2fb528;

let ready: Promise<void> | null = null;

/** Loads the WebAssembly module once per process; every other function here needs it loaded. */
export function loadZstd(): Promise<void> {
  return (ready ??= init());
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One zstd frame holding `plain`, with its content size in the frame header. */
export function zstdFrame(plain: Buffer, level: number): Buffer {
  return asBuffer(compress(plain, level));
}

/**
 * The content size a frame header declares, or `null` when the bytes are not a zstd frame with a
 * declared size. Read before decompressing so damaged data can never make the decoder allocate
 * an arbitrary amount of memory.
 */
export function frameContentSize(frame: Buffer): number | null {
  if (frame.length < 6 || frame.readUInt32LE(0) !== FRAME_MAGIC) return null;
  const descriptor = frame[4] as number;
  const singleSegment = (descriptor >> 5) & 1;
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 3] as number;
  const sizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6] as number;
  const at = 5 + (singleSegment ? 0 : 1) + dictionaryBytes;
  if (sizeBytes === 0 || frame.length < at + sizeBytes) return null;
  if (sizeBytes === 1) return frame[at] as number;
  if (sizeBytes === 2) return frame.readUInt16LE(at) + 256;
  if (sizeBytes === 4) return frame.readUInt32LE(at);
  const size = frame.readBigUInt64LE(at);
  return size > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(size);
}

/**
 * Decompresses one frame whose declared size is at most `maxBytes` (exactly `expectedBytes` when
 * given). Returns `null` for anything else: not a frame, another size, or a corrupt frame.
 */
export function unzstdFrame(frame: Buffer, limits: { expectedBytes?: number; maxBytes: number }): Buffer | null {
  const declared = frameContentSize(frame);
  if (declared === null || declared > limits.maxBytes) return null;
  if (limits.expectedBytes !== undefined && declared !== limits.expectedBytes) return null;
  try {
    const plain = asBuffer(decompress(frame, { defaultHeapSize: declared }));
    return plain.length === declared ? plain : null;
  } catch {
    return null;
  }
}
