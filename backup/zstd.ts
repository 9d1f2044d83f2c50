import type { Duplex } from 'node:stream';
import { execa } from 'execa';

/**
 * zstd runs as a child process: it compresses on every core (`-T0`) and keeps its buffers out of
 * the Node heap. The returned Duplex fails when zstd exits non-zero; aborting `signal` kills it.
 */

export interface ZstdOptions {
  signal: AbortSignal;
  binary?: string;
}

function zstdDuplex(args: string[], options: ZstdOptions): Duplex {
  const child = execa(options.binary ?? 'zstd', args, {
    buffer: { stdout: false, stderr: true },
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    cancelSignal: options.signal,
    forceKillAfterDelay: 2000,
  });
  return child.duplex();
}

/** Compresses at `level` (1–19). */
export function zstdCompress(level: number, options: ZstdOptions): Duplex {
  return zstdDuplex(['-q', '-c', '-T0', `-${level}`], options);
}

/** Decompresses; fails on corrupt input (zstd checks its frame checksum). */
export function zstdDecompress(options: ZstdOptions): Duplex {
  return zstdDuplex(['-q', '-d', '-c'], options);
}
