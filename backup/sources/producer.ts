import { execa } from 'execa';
import type { Readable, Writable } from 'node:stream';
import { PilotfishError } from '../../common/errors.js';
import { pipeFd, releaseParentCopy } from '../child-pipe.js';

/**
 * Runs a tool whose stdout is the backup stream. Stderr is watched line by line (tools such as
 * mariadb-backup report positions there) and only its last lines are kept for error messages,
 * so a chatty tool cannot grow the heap.
 */
export interface Producer {
  /** The tool's output when no `output` pipe was given (or it has no descriptor). */
  stdout: Readable | undefined;
  /** Resolves when the tool exited 0; rejects with BACKUP_FAILED otherwise. */
  done: Promise<void>;
}

const TAIL_LINES = 12;

export function startProducer(
  file: string,
  args: string[],
  options: { signal: AbortSignal; onStderrLine?: (line: string) => void; cwd?: string; output?: Writable },
): Producer {
  const fd = options.output ? pipeFd(options.output) : undefined;
  const child = execa(file, args, {
    buffer: false,
    stdin: 'ignore',
    // A descriptor number makes the tool write straight into the next process's pipe.
    stdout: (fd ?? 'pipe') as 'pipe',
    stderr: 'pipe',
    cwd: options.cwd,
    cancelSignal: options.signal,
    forceKillAfterDelay: 5000,
    reject: false,
  });
  let stdout = child.stdout as Readable | undefined;
  if (options.output) {
    if (fd !== undefined) releaseParentCopy(options.output);
    else stdout?.pipe(options.output);
    stdout = undefined;
  }
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
    if ((result as { code?: string }).code === 'ENOENT') {
      throw new PilotfishError(
        'BACKUP_FAILED',
        `${file} was not found: install it (on Debian it comes with the MariaDB packages that scripts/setup installs) or give its path in the recipe's binaries section`,
        { details: { file } },
      );
    }
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
  return { stdout, done };
}
