import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { PilotfishError } from '../../common/errors.js';

/**
 * The server's persistence: a snapshot file plus an append-only log of operations, both JSON.
 *
 * - `append(op)` writes one line and fsyncs before returning, so anything the server has
 *   acknowledged to a caller survives SIGKILL or power loss.
 * - `compact(snapshot)` writes the whole state to a temporary file, fsyncs it, renames it over
 *   `snapshot.json` (atomic on POSIX), fsyncs the directory, and only then starts a fresh log.
 *   A crash at any point leaves either the old snapshot with the full old log, or the new
 *   snapshot (the old log's operations are already in it and are skipped by sequence number).
 * - `load()` returns the snapshot and the operations after it. A torn last line (a write cut off
 *   by a crash, hence never acknowledged) is dropped; a torn line in the middle is corruption and
 *   stops start-up with an error naming the file and line, never silently losing data.
 */
export class DurableLog<S, O> {
  private fd: number | undefined;
  private seq = 0;
  /** Operations appended since the last compaction; callers compact when this grows. */
  pending = 0;

  constructor(private readonly dir: string) {
    // The state holds node secrets: only the server's user may read it.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private get snapshotPath(): string {
    return join(this.dir, 'snapshot.json');
  }

  private get logPath(): string {
    return join(this.dir, 'log.jsonl');
  }

  /** Reads what is on disk: the last snapshot (or `undefined`) and the operations after it, in order. */
  load(): { snapshot: S | undefined; ops: O[] } {
    let snapshot: S | undefined;
    let snapshotSeq = 0;
    if (existsSync(this.snapshotPath)) {
      const doc = JSON.parse(readFileSync(this.snapshotPath, 'utf8')) as { seq: number; state: S };
      snapshot = doc.state;
      snapshotSeq = doc.seq;
    }
    this.seq = snapshotSeq;
    const ops: O[] = [];
    if (existsSync(this.logPath)) {
      const lines = readFileSync(this.logPath, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (line.trim() === '') return;
        let entry: { seq: number; op: O };
        try {
          entry = JSON.parse(line) as { seq: number; op: O };
        } catch (err) {
          const last = lines.slice(i + 1).every((rest) => rest.trim() === '');
          if (last) return;
          throw new PilotfishError('INTERNAL', `state log ${this.logPath} line ${i + 1} is corrupt; restore it from a copy`, {
            cause: err,
          });
        }
        if (entry.seq <= snapshotSeq) return;
        ops.push(entry.op);
        this.seq = entry.seq;
      });
    }
    this.pending = ops.length;
    return { snapshot, ops };
  }

  /** Appends one operation and fsyncs it; returns once it is durable. */
  append(op: O): void {
    this.fd ??= openSync(this.logPath, 'a', 0o600);
    this.seq += 1;
    writeSync(this.fd, `${JSON.stringify({ seq: this.seq, op })}\n`);
    fsyncSync(this.fd);
    this.pending += 1;
  }

  /** Replaces snapshot and log with `state` (which must include every appended operation). */
  compact(state: S): void {
    const tmp = `${this.snapshotPath}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify({ seq: this.seq, state }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.snapshotPath);
    this.syncDir();
    if (this.fd !== undefined) closeSync(this.fd);
    // The log is rewritten empty only after the snapshot that contains it is durable.
    this.fd = openSync(this.logPath, 'w', 0o600);
    fsyncSync(this.fd);
    this.pending = 0;
  }

  private syncDir(): void {
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Closes the log file. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
