import { execa } from 'execa';
import type { Readable, Writable } from 'node:stream';
import { PilotfishError } from '../common/errors.js';
import { pipeFd, releaseParentCopy } from './child-pipe.js';

/**
 * zstd runs as a child process: it compresses on every core (`-T0`) and keeps its buffers out of
 * the Node heap. `-vv` makes it report exact byte counts on stderr, which is how the raw size of
 * a stream that never passes through Node is known. Aborting `signal` kills it.
 */

export interface ZstdRun {
  stdin: Writable;
  /** Absent when the output goes straight to another child or a file. */
  stdout: Readable | undefined;
  /** Resolves with the byte counts zstd reported once it exited 0; rejects otherwise. */
  done: Promise<{ inputBytes: number; outputBytes: number }>;
}

export interface ZstdOptions {
  signal: AbortSignal;
  /** Write the output into this child's stdin pipe (kernel to kernel) instead of back to Node. */
  outputTo?: Writable;
  /** Write the output to this file. */
  outputFile?: string;
  binary?: string;
}

function startZstd(args: string[], options: ZstdOptions): ZstdRun {
  const fd = options.outputTo ? pipeFd(options.outputTo) : undefined;
  const child = execa(options.binary ?? 'zstd', [...args, '-vv', '--no-progress', ...(options.outputFile ? ['-f', '-o', options.outputFile] : ['-c'])], {
    buffer: { stdout: false, stderr: true },
    stdin: 'pipe',
    stdout: (fd ?? (options.outputFile ? 'ignore' : 'pipe')) as 'pipe',
    stderr: 'pipe',
    cancelSignal: options.signal,
    forceKillAfterDelay: 2000,
    reject: false,
  });
  if (options.outputTo) {
    if (fd !== undefined) releaseParentCopy(options.outputTo);
    else child.stdout?.pipe(options.outputTo);
  }
  const done = child.then((result) => {
    const stderr = String(result.stderr ?? '');
    // The exit code is the truth: a parent-side stream closed early is not a zstd failure.
    if (result.exitCode !== 0 || result.isCanceled) {
      const why = result.isCanceled ? 'was cancelled' : `failed (${result.exitCode ?? result.signal})`;
      throw new PilotfishError('PROCESS_FAILED', `zstd ${why}: ${stderr.trim().split('\n').slice(-2).join(' | ')}`);
    }
    const compressed = /\(\s*(\d+) B =>\s*(\d+) B/.exec(stderr);
    if (compressed) return { inputBytes: Number(compressed[1]), outputBytes: Number(compressed[2]) };
    const decompressed = /: (\d+) bytes/.exec(stderr);
    return { inputBytes: 0, outputBytes: Number(decompressed?.[1] ?? 0) };
  });
  return { stdin: child.stdin as Writable, stdout: fd === undefined && !options.outputTo && !options.outputFile ? (child.stdout as Readable) : undefined, done };
}

/** Compresses at `level` (1–19) on every core. */
export function zstdCompress(level: number, options: ZstdOptions): ZstdRun {
  return startZstd(['-T0', `-${level}`], options);
}

/** Decompresses; fails on corrupt input (zstd checks its frame checksum). */
export function zstdDecompress(options: ZstdOptions): ZstdRun {
  return startZstd(['-d'], options);
}
