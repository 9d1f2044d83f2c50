import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** A pass-through that hashes (SHA-256) and counts what flows through it. */
export function sha256Meter(onBytes?: (total: number) => void): Transform & { digest(): string; bytes(): number } {
  const hash = createHash('sha256');
  let total = 0;
  let digest: string | null = null;
  const stream = new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      hash.update(chunk);
      total += chunk.length;
      onBytes?.(total);
      callback(null, chunk);
    },
  });
  return Object.assign(stream, {
    digest: () => (digest ??= hash.digest('hex')),
    bytes: () => total,
  });
}
