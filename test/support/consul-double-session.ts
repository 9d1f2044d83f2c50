import { type DoubleRequest, type DoubleResponse, HttpError, allow, jsonBody, parseGoDuration } from './consul-double-http.js';
import type { SessionRecord } from './consul-double-state.js';

/**
 * `/v1/session/*` (Consul api-docs/session): create, renew, destroy, info. TTL between 10s and
 * 24h; LockDelay default 15s, at most 60s; Behavior `release` (default) or `delete`.
 */

const MIN_TTL_MS = 10_000;
const MAX_TTL_MS = 86_400_000;
const MAX_LOCK_DELAY_MS = 60_000;
const DEFAULT_LOCK_DELAY_MS = 15_000;

function view(session: SessionRecord) {
  const { ttlMs: _ttl, expiresAtMs: _expires, ...visible } = session;
  return visible;
}

function create(req: DoubleRequest): DoubleResponse {
  allow(req, 'PUT');
  const body = jsonBody(req, ['Name', 'TTL', 'LockDelay', 'Behavior', 'Node', 'Checks', 'NodeChecks', 'ServiceChecks']);
  let ttlMs: number | null = null;
  if (body.TTL !== undefined && body.TTL !== '') {
    const parsed = typeof body.TTL === 'string' ? parseGoDuration(body.TTL) : undefined;
    if (parsed === undefined) throw new HttpError(400, `Request decode failed: invalid TTL ${JSON.stringify(body.TTL)}`);
    if (parsed !== 0 && (parsed < MIN_TTL_MS || parsed > MAX_TTL_MS)) {
      throw new HttpError(400, `Invalid Session TTL '${body.TTL}', must be between [10s=24h0m0s]`);
    }
    ttlMs = parsed === 0 ? null : parsed;
  }
  let lockDelayMs = DEFAULT_LOCK_DELAY_MS;
  if (body.LockDelay !== undefined) {
    // Consul decodes LockDelay from a duration string or a number of nanoseconds.
    const parsed =
      typeof body.LockDelay === 'string' ? parseGoDuration(body.LockDelay) : typeof body.LockDelay === 'number' ? body.LockDelay / 1e6 : undefined;
    if (parsed === undefined) throw new HttpError(400, `Request decode failed: invalid LockDelay ${JSON.stringify(body.LockDelay)}`);
    lockDelayMs = Math.min(parsed, MAX_LOCK_DELAY_MS);
  }
  if (body.Behavior !== undefined && body.Behavior !== 'release' && body.Behavior !== 'delete') {
    throw new HttpError(400, `Invalid Behavior setting '${String(body.Behavior)}'`);
  }
  if (body.Name !== undefined && typeof body.Name !== 'string') throw new HttpError(400, 'Request decode failed: Name must be a string');
  const session = req.state.createSession(
    body as { Name?: string; TTL?: string; Behavior?: string },
    ttlMs,
    Math.round(lockDelayMs * 1e6),
  );
  return { body: { ID: session.ID } };
}

export function handleSession(req: DoubleRequest): DoubleResponse {
  const [action, id = ''] = req.rest.split('/', 2) as [string, string?];
  const { state } = req;
  switch (action) {
    case 'create':
      return create(req);
    case 'renew': {
      allow(req, 'PUT');
      const session = state.sessions.get(id);
      if (!session) throw new HttpError(404, `Session id '${id}' not found`);
      if (session.expiresAtMs !== null) session.expiresAtMs = Date.now() + session.ttlMs;
      return { body: [view(session)] };
    }
    case 'destroy':
      allow(req, 'PUT');
      if (id === '') throw new HttpError(400, 'Missing session');
      state.invalidate(id);
      return { body: true };
    case 'info': {
      allow(req, 'GET');
      if (id === '') throw new HttpError(400, 'Missing session');
      const session = state.sessions.get(id);
      return { body: session ? [view(session)] : [], index: state.index };
    }
    default:
      throw new HttpError(404, 'not found');
  }
}
