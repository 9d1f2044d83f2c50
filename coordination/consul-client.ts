import { EventEmitter } from 'node:events';
import Consul from 'consul';
import { CoordinatorUnavailable, PilotfishError } from '../common/errors.js';

/**
 * Consul client construction and the adapter's choke point helpers. The `consul` package (papi
 * underneath) reports HTTP failures as errors carrying `statusCode`; this file decides which of them
 * are the store being unreachable, which are protocol surprises, and which mean "your session is
 * gone" (Consul answers an acquire with an invalidated session with an error, not with `false`).
 */

export type ConsulClient = InstanceType<typeof Consul>;

export interface ConsulClientOptions {
  /** `http://host:port`; the `/v1` API root is added here. */
  address: string;
  token?: string;
  datacenter?: string;
}

export function createConsulClient(options: ConsulClientOptions): ConsulClient {
  const url = new URL(options.address);
  const secure = url.protocol === 'https:';
  return new Consul({
    host: url.hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    secure,
    defaults: {
      ...(options.token !== undefined ? { token: options.token } : {}),
      ...(options.datacenter !== undefined ? { dc: options.datacenter } : {}),
    },
  });
}

/**
 * papi's cancellation handle: an EventEmitter that aborts the HTTP request on `cancel`. With
 * `includeResponse` the call resolves to `[response, body]`, which is how blocking queries read
 * `X-Consul-Index`.
 */
export function requestContext(signal: AbortSignal, includeResponse = false): EventEmitter & { includeResponse?: boolean } {
  const ctx = Object.assign(new EventEmitter(), includeResponse ? { includeResponse: true } : {});
  if (signal.aborted) queueMicrotask(() => ctx.emit('cancel'));
  else signal.addEventListener('abort', () => ctx.emit('cancel'), { once: true });
  return ctx;
}

interface HttpError {
  statusCode?: number;
  message?: string;
  response?: { body?: unknown };
}

function bodyText(err: HttpError): string {
  const body = err.response?.body;
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString();
  return err.message ?? '';
}

/** Consul refuses a KV acquire or a renew for a session that no longer exists. */
export function isInvalidSession(err: unknown): boolean {
  const e = err as HttpError;
  return typeof e?.statusCode === 'number' && /invalid session|session .*not found/i.test(bodyText(e));
}

/** A 404 from an endpoint whose 404 means "no such thing" (session renew, session info). */
export function isNotFound(err: unknown): boolean {
  return (err as HttpError)?.statusCode === 404;
}

/** Maps an HTTP answer that is an error into our errors; transport errors stay for the choke point. */
export function classifyConsulError(what: string, err: unknown): unknown {
  const status = (err as HttpError)?.statusCode;
  if (typeof status !== 'number') return err;
  const text = bodyText(err as HttpError).slice(0, 200);
  if (status === 403) return new CoordinatorUnavailable(`consul ${what}: Consul refused the ACL token (${text}); check coordinator.consul.token`, err);
  if (status >= 500 || status === 429) return new CoordinatorUnavailable(`consul ${what}: Consul answered ${status} (${text})`, err);
  return new PilotfishError('COORDINATOR_PROTOCOL', `consul ${what}: Consul answered ${status} (${text})`, { cause: err });
}
