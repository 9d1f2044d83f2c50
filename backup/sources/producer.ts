import { execa } from 'execa';
import type { Readable } from 'node:stream';
import { PilotfishError } from '../../common/errors.js';

/**
 * Runs a tool whose stdout is the backup stream. Stderr is watched line by line (tools such as
 * mariadb-backup report positions there) and only its last lines are kept for error messages,
 * so a chatty tool cannot grow the heap.
 */
export interface Producer {
  stdout: Readable;
  /** Resolves when the tool exited 0; rejects with BACKUP_FAILED otherwise. */
  done: Promise<void>;
}

const TAIL_LINES = 12;

export function startProducer(
  file: string,
  args: string[],
  options: { signal: AbortSignal; onStderrLine?: (line: string) => void; cwd?: string },
): Producer {
  const child = execa(file, args, {
    buffer: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    cwd: options.cwd,
    cancelSignal: options.signal,
    forceKillAfterDelay: 5000,
    reject: false,
  });
  const tail: string[] = [];
  let partial = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      options.onStderrLine?.(line);
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    }
  });
  const done = child.then((result) => {
    if (partial) options.onStderrLine?.(partial);
    if (result.exitCode === 0 && !result.isCanceled) return;
    const why = result.isCanceled
      ? 'was cancelled'
      : result.exitCode === undefined
        ? `was killed (${result.signal ?? 'unknown signal'})`
        : `exited with code ${result.exitCode}`;
    const detail = [...tail, partial].filter((l) => l.trim()).slice(-5).join(' | ');
    throw new PilotfishError('BACKUP_FAILED', `${file} ${why}${detail ? `: ${detail}` : ''}`, {
      details: { file, exitCode: result.exitCode },
      cause: result.failed ? result : undefined,
    });
  });
  return { stdout: child.stdout as Readable, done };
}
