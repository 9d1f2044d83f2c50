import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { execa } from 'execa';
import { verifyMigrationToken } from '../../migration/token.js';

/**
 * The source side of a migration: serves a previous allocation's `alloc/data` and each task's
 * `local/` as a streamed tar (GNU format, numeric owners) on the agent's own HTTP listener.
 *
 * `GET /v1/migrate/<allocId>/snapshot` with `Authorization: Bearer <migration token>` and
 * `X-Pilotfish-Node: <destination node id>`. Answers 401 without a token, 403 for a token that does
 * not verify (see token.ts), 404 when the allocation directory is gone. The body is chunked; the
 * SHA-256 of the tar bytes follows as the HTTP trailer `X-Pilotfish-Sha256`. When `tar` fails the
 * response is cut without the trailer, which the puller treats as a failed migration.
 *
 * While a stream is being served its allocation is counted as in flight; the agent's garbage
 * collector must skip such allocations (`inFlight`) so the data is not deleted mid-copy
 * (Nomad #16708).
 */

/** The trailer that carries the hex SHA-256 of the tar stream. */
export const CHECKSUM_TRAILER = 'x-pilotfish-sha256';
/** The header in which the puller names its node. */
export const NODE_HEADER = 'x-pilotfish-node';

/** What the source needs from its agent. */
export interface MigrationSourceOptions {
  /** The shared HMAC key (see token.ts). */
  tokenKey: Buffer;
  /** The agent's directory holding `<allocId>/` allocation directories. */
  allocsDir: string;
  now?: () => number;
  /**
   * A stream whose puller reads nothing for this long is cut (default 60 s), so a stalled puller
   * cannot hold an allocation "in flight" (and so undeletable) forever.
   */
  idleTimeoutMs?: number;
  /** Called once per finished or failed stream, for the agent's log. */
  onServed?: (event: { allocId: string; bytes: number; ok: boolean; reason?: string }) => void;
}

// Allocation ids never start with a dot, so `.` and `..` can never name a directory here.
const ROUTE = /^\/v1\/migrate\/([A-Za-z0-9_-][A-Za-z0-9_.-]*)\/snapshot$/;

/** Paths, relative to the allocation directory, that a migration carries. */
export function migratedPaths(allocRoot: string): string[] {
  const paths: string[] = [];
  if (existsSync(join(allocRoot, 'alloc', 'data'))) paths.push('alloc/data');
  for (const entry of readdirSync(allocRoot, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === 'alloc') continue;
    const local = join(allocRoot, entry.name, 'local');
    if (existsSync(local) && statSync(local).isDirectory()) paths.push(`${entry.name}/local`);
  }
  return paths;
}

/** Serves migration snapshots; mount `handle` on the agent's HTTP server. */
export class MigrationSource {
  private readonly active = new Map<string, number>();

  constructor(private readonly options: MigrationSourceOptions) {}

  /** Whether a stream of `allocId` is being served right now (the GC must keep its directory). */
  inFlight(allocId: string): boolean {
    return (this.active.get(allocId) ?? 0) > 0;
  }

  /** Resolves once no stream of `allocId` is being served (polls every `pollMs`). */
  async drained(allocId: string, pollMs = 100): Promise<void> {
    while (this.inFlight(allocId)) await new Promise((resolve) => setTimeout(resolve, pollMs));
  }

  /** Handles the request if it is a snapshot request; returns `false` for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const match = ROUTE.exec(new URL(req.url ?? '/', 'http://agent').pathname);
    if (match === null) return false;
    const allocId = match[1] as string;
    if (req.method !== 'GET') return this.refuse(res, 405, 'use GET');
    const auth = req.headers.authorization;
    const token = typeof auth === 'string' ? /^Bearer\s+(\S+)$/i.exec(auth.trim())?.[1] : undefined;
    const node = req.headers[NODE_HEADER];
    const check = verifyMigrationToken(this.options.tokenKey, token, {
      prevAllocId: allocId,
      destNodeId: typeof node === 'string' ? node : undefined,
      nowMs: (this.options.now ?? Date.now)(),
    });
    if (!check.ok) return this.refuse(res, check.status, check.reason);
    const root = join(this.options.allocsDir, allocId);
    if (!existsSync(root)) return this.refuse(res, 404, `allocation ${allocId} has no data on this node`);
    this.stream(allocId, root, res);
    return true;
  }

  private refuse(res: ServerResponse, status: number, message: string): true {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: message }));
    return true;
  }

  private stream(allocId: string, root: string, res: ServerResponse): void {
    this.active.set(allocId, (this.active.get(allocId) ?? 0) + 1);
    res.setTimeout(this.options.idleTimeoutMs ?? 60_000, () => res.destroy());
    const hash = createHash('sha256');
    let bytes = 0;
    // 64 KiB records: half the CPU of tar's default 10 KiB writes, and full pipe reads for us.
    const tar = execa('tar', ['--format=gnu', '--numeric-owner', '--blocking-factor=128', '-C', root, '-cf', '-', '--', ...migratedPaths(root)], {
      stdout: 'pipe',
      stderr: 'pipe',
      reject: false,
      buffer: { stdout: false, stderr: true },
    });
    res.writeHead(200, { 'content-type': 'application/x-tar', trailer: CHECKSUM_TRAILER });
    // Hand-rolled pipe: one handler hashes, counts and forwards, pausing tar while the socket is full.
    tar.stdout.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
      if (!res.write(chunk)) {
        tar.stdout.pause();
        res.once('drain', () => tar.stdout.resume());
      }
    });
    let done = false;
    const finish = (ok: boolean, reason?: string): void => {
      if (done) return;
      done = true;
      this.active.set(allocId, (this.active.get(allocId) ?? 1) - 1);
      if (this.active.get(allocId) === 0) this.active.delete(allocId);
      this.options.onServed?.({ allocId, bytes, ok, ...(reason === undefined ? {} : { reason }) });
    };
    // The puller went away: stop reading the disk.
    res.once('close', () => {
      if (!res.writableFinished) {
        tar.kill('SIGKILL');
        finish(false, 'client closed the connection');
      }
    });
    void Promise.all([tar, new Promise((resolve) => tar.stdout.once('end', resolve))]).then(([result]) => {
      if (result.exitCode !== 0) {
        res.destroy();
        finish(false, `tar exited ${result.exitCode ?? result.signal}: ${String(result.stderr).slice(0, 300)}`);
        return;
      }
      res.addTrailers({ [CHECKSUM_TRAILER]: hash.digest('hex') });
      res.end(() => finish(true));
    });
  }
}
