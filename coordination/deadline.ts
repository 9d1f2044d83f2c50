import { CoordinatorUnavailable, isPilotfishError } from '../common/errors.js';

/**
 * The shared half of every adapter's choke point: runs one store call with a hard deadline and
 * turns whatever the transport throws into {@link CoordinatorUnavailable}. Clients retry, back off
 * and queue internally (etcd3's grpc channel, fetch's connection pool); racing a timer is what
 * guarantees that no call outlives `timeoutMs`, whatever the client does underneath.
 */

export interface DeadlineOptions {
  /** Store kind and operation, for the error message: `etcd tryAcquireLeader`. */
  what: string;
  timeoutMs: number;
  /** Decides which foreign errors pass through unchanged (protocol errors, lost leases). */
  passThrough?: (err: unknown) => boolean;
  /** Where the store lives, for the error message. */
  endpoint?: string;
}

/**
 * Calls `fn` with an AbortSignal and an absolute deadline (epoch ms) that both end at `timeoutMs`;
 * rejects with CoordinatorUnavailable when the deadline passes first or `fn` throws a transport
 * error. PilotfishErrors thrown by `fn` pass through unchanged.
 */
export async function withDeadline<T>(
  options: DeadlineOptions,
  fn: (signal: AbortSignal, deadlineMs: number) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const deadlineMs = Date.now() + options.timeoutMs;
  const where = options.endpoint ? ` at ${options.endpoint}` : '';
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new CoordinatorUnavailable(
        `${options.what}: no answer from the coordination store${where} within ${options.timeoutMs}ms; check that it runs and is reachable`,
      );
      controller.abort(err);
      reject(err);
    }, options.timeoutMs);
  });
  try {
    return await Promise.race([fn(controller.signal, deadlineMs), expired]);
  } catch (err) {
    if (isPilotfishError(err) || options.passThrough?.(err)) throw err;
    throw new CoordinatorUnavailable(
      `${options.what}: the coordination store${where} failed the request (${describe(err)}); check that it runs and is reachable`,
      err,
    );
  } finally {
    clearTimeout(timer);
    // The losing promise may still reject later; nobody awaits it, so keep it from surfacing.
    expired.catch(() => undefined);
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}
