import { existsSync, readFileSync } from 'node:fs';
import { PilotfishError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { ChildKeeper } from '../../process/keeper.js';
import type { MysqlPaths } from './option-files.js';

/** Bounds of the server process. */
export interface ServerTimings {
  startTimeoutMs: number;
  /** A clean InnoDB shutdown of a small server takes seconds; this bounds SIGTERM → SIGKILL. */
  stopGraceMs: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A server left running by a supervisor that was killed (SIGKILL cannot be caught, and the server
 * runs in its own process group) still holds the data directory's lock. Stop it cleanly before
 * starting ours, if the pid file names a live mariadbd/mysqld.
 */
export async function stopLeftoverServer(paths: MysqlPaths, graceMs: number, logger: Logger): Promise<void> {
  if (!existsSync(paths.pidFile)) return;
  const pid = Number(readFileSync(paths.pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!/mariadbd|mysqld/.test(cmdline) || !cmdline.includes(paths.serverCnf)) return;
  logger.warn({ pid }, 'a server from an earlier supervisor still runs on this data directory; stopping it');
  process.kill(pid, 'SIGCONT');
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  while (alive(pid)) await new Promise((r) => setTimeout(r, 50));
}

/** Waits until `ping` succeeds, failing early when the server process exits. */
export async function waitUntilReady(
  keeper: ChildKeeper,
  ping: () => Promise<void>,
  paths: MysqlPaths,
  timeoutMs: number,
): Promise<void> {
  const child = keeper.current;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child && !child.running) {
      throw new PilotfishError('PROCESS_FAILED', `the database server exited during start-up; see ${paths.errorLog}`, {
        retryable: true,
      });
    }
    try {
      await ping();
      return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new PilotfishError(
    'PROCESS_FAILED',
    `the database server did not accept connections within ${timeoutMs}ms (last: ${(last as Error | undefined)?.message ?? 'none'}); see ${paths.errorLog}`,
    { retryable: true },
  );
}
