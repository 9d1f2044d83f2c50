import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { type IncomingMessage, request } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { PilotfishError } from '../../../common/errors.js';
import { CHECKSUM_TRAILER, NODE_HEADER } from './source.js';
import { TarGuard } from './tar-guard.js';

/**
 * The destination side of a migration: pulls a previous allocation's snapshot from the source
 * agent and unpacks it safely.
 *
 * - Every tar header passes `TarGuard` before `tar -x` sees it, so no entry can be written outside
 *   the staging directory (see tar-entry-rules.ts); `tar -x` keeps modes and numeric owners
 *   (ownership needs root, as for any tar).
 * - It unpacks into `<targetDir>.partial-<random>` beside the target and renames that to
 *   `targetDir` only once `tar` exited 0 and the SHA-256 of the bytes equals the
 *   `X-Pilotfish-Sha256` trailer; any failure removes the staging directory and leaves
 *   `targetDir` absent.
 * - It never hangs (Nomad #20587): the TCP connect must finish within `connectTimeoutMs`, and the
 *   stream fails when no byte arrives for `idleTimeoutMs`.
 */

/** One pull. */
export interface PullOptions {
  /** Base URL of the source agent, e.g. `http://127.0.0.1:4646`. */
  sourceUrl: string;
  prevAllocId: string;
  /** The migration token issued by the server. Never logged. */
  token: string;
  /** This (the destination) node's id; the token is bound to it. */
  destNodeId: string;
  /** Must not exist; holds the allocation-shaped tree (`alloc/data`, `<task>/local`) on success. */
  targetDir: string;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  signal?: AbortSignal;
}

/** What a successful pull moved. */
export interface PullResult {
  bytes: number;
  entries: number;
  sha256: string;
}

const fail = (message: string, extra: { retryable?: boolean; status?: number; cause?: unknown } = {}): PilotfishError =>
  new PilotfishError('MIGRATION_FAILED', message, {
    retryable: extra.retryable ?? false,
    cause: extra.cause,
    details: extra.status === undefined ? undefined : { status: extra.status },
  });

function get(options: PullOptions): Promise<IncomingMessage> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const url = new URL(`/v1/migrate/${encodeURIComponent(options.prevAllocId)}/snapshot`, options.sourceUrl);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${options.token}`, [NODE_HEADER]: options.destNodeId },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const connectTimer = setTimeout(
      () => req.destroy(fail(`cannot connect to ${url.host} within ${connectTimeoutMs}ms`, { retryable: true })),
      connectTimeoutMs,
    );
    req.once('socket', (socket) => socket.once('connect', () => clearTimeout(connectTimer)));
    // Socket idle timeout: covers a server that accepts and then goes silent, before or mid-body.
    let response: IncomingMessage | undefined;
    req.setTimeout(idleTimeoutMs, () => {
      const err = fail(`no data from ${url.host} for ${idleTimeoutMs}ms`, { retryable: true });
      // Once the body flows, the response carries the error to the pipeline reading it.
      response?.destroy(err);
      req.destroy(err);
    });
    req.once('error', (err) => {
      clearTimeout(connectTimer);
      reject(err instanceof PilotfishError ? err : fail(`request to ${url.host} failed: ${err.message}`, { retryable: true, cause: err }));
    });
    req.once('response', (res) => {
      clearTimeout(connectTimer);
      response = res;
      resolve(res);
    });
    req.end();
  });
}

async function refusal(res: IncomingMessage): Promise<PilotfishError> {
  let body = '';
  for await (const chunk of res) if (body.length < 2_000) body += String(chunk);
  let reason = body;
  try {
    reason = (JSON.parse(body) as { error?: string }).error ?? body;
  } catch {
    // not JSON: keep the raw text
  }
  const status = res.statusCode ?? 0;
  return fail(`source agent refused the migration (${status}): ${reason}`, { status, retryable: status >= 500 });
}

/** Pulls and unpacks a snapshot; rejects with MIGRATION_FAILED and leaves `targetDir` absent on any failure. */
export async function pullSnapshot(options: PullOptions): Promise<PullResult> {
  if (existsSync(options.targetDir)) throw fail(`migration target ${options.targetDir} already exists`);
  const staging = `${options.targetDir}.partial-${randomBytes(6).toString('hex')}`;
  await mkdir(staging, { recursive: true, mode: 0o755 });
  try {
    const res = await get(options);
    if (res.statusCode !== 200) throw await refusal(res);
    const hash = createHash('sha256');
    const guard = new TarGuard(hash);
    // 64 KiB records, as the source writes them: a sixth of the reads of tar's default 10 KiB
    const tar = execa('tar', ['-x', '-p', '--numeric-owner', '--blocking-factor=128', '-f', '-', '-C', staging], {
      stdin: 'pipe',
      stdout: 'ignore',
      stderr: 'pipe',
      reject: false,
    });
    try {
      await pipeline(res, guard, tar.stdin);
    } catch (err) {
      tar.kill('SIGKILL');
      const early = await tar;
      if (err instanceof PilotfishError) throw err;
      // tar closing its input first (EPIPE, premature close) means tar itself failed: say why.
      if (early.exitCode !== null && early.exitCode !== 0) {
        throw fail(`tar -x failed (${early.exitCode}): ${String(early.stderr).slice(0, 300)}`, { cause: err });
      }
      throw fail(`migration stream from ${options.sourceUrl} broke: ${(err as Error).message}`, { retryable: true, cause: err });
    }
    const result = await tar;
    if (result.exitCode !== 0) throw fail(`tar -x failed (${result.exitCode ?? result.signal}): ${String(result.stderr).slice(0, 300)}`);
    const expected = res.trailers[CHECKSUM_TRAILER];
    const actual = hash.digest('hex');
    if (expected === undefined) throw fail('the stream ended without its checksum trailer (cut short)', { retryable: true });
    if (expected !== actual) throw fail(`checksum mismatch: source sent ${expected}, received data hashes to ${actual}`, { retryable: true });
    await rename(staging, options.targetDir);
    return { bytes: guard.bytes, entries: guard.entries, sha256: actual };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}
