import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Per-migration tokens. The server issues one when it places an allocation whose previous
 * allocation's data must be pulled from another node; the source agent checks it before it
 * streams a byte.
 *
 * Choice: an HMAC-SHA256 the server signs with a key it shares with the agents
 * (`migrate.tokenKey`), not a call back to the server. The source agent can then verify a token
 * while the server is busy or briefly unreachable, and the check is local and constant-time
 * (Nomad #12314: migration must keep working with authentication on). The token binds
 *
 * - the previous allocation id (the only allocation it may read),
 * - the destination node id (sent by the puller in `X-Pilotfish-Node`),
 * - an expiry (epoch ms), and
 * - 32 random bytes, so two tokens for the same pair never collide and cannot be guessed.
 *
 * Format: `pfm1.<base64url(JSON payload)>.<base64url(HMAC(key, "pfm1." + payload))>`.
 * A token is a bearer credential until it expires: keep the TTL short (minutes).
 */

/** What a migration token grants. */
export interface MigrationGrant {
  /** The previous allocation whose data may be read. */
  prevAllocId: string;
  /** The node that may pull it. */
  destNodeId: string;
  /** Epoch ms after which the token is refused. */
  expiresAtMs: number;
}

/** Why a token was refused; `status` is the HTTP status the source answers with. */
export type TokenCheck = { ok: true; grant: MigrationGrant } | { ok: false; status: 401 | 403; reason: string };

const VERSION = 'pfm1';
/** Below this a key is too easy to brute-force offline from one observed token. */
export const MIN_KEY_BYTES = 32;

function mac(key: Buffer, signed: string): Buffer {
  return createHmac('sha256', key).update(signed).digest();
}

function checkKey(key: Buffer): void {
  if (key.length < MIN_KEY_BYTES) {
    throw new RangeError(`migrate.tokenKey must be at least ${MIN_KEY_BYTES} bytes, got ${key.length}`);
  }
}

/** Signs a token for `grant` (server side). The nonce comes from the OS CSPRNG. */
export function issueMigrationToken(key: Buffer, grant: MigrationGrant): string {
  checkKey(key);
  const payload = Buffer.from(
    JSON.stringify({
      a: grant.prevAllocId,
      n: grant.destNodeId,
      e: grant.expiresAtMs,
      r: randomBytes(32).toString('base64url'),
    }),
  ).toString('base64url');
  const signed = `${VERSION}.${payload}`;
  return `${signed}.${mac(key, signed).toString('base64url')}`;
}

/**
 * Verifies `token` for a request to read `prevAllocId` from node `destNodeId` at `nowMs`
 * (source side). Missing token → 401; malformed, forged, expired or bound to another allocation or
 * node → 403. Never throws for bad input; the reason never contains the token.
 */
export function verifyMigrationToken(
  key: Buffer,
  token: string | undefined,
  request: { prevAllocId: string; destNodeId: string | undefined; nowMs: number },
): TokenCheck {
  checkKey(key);
  if (token === undefined || token === '') return { ok: false, status: 401, reason: 'missing migration token' };
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return { ok: false, status: 403, reason: 'malformed migration token' };
  const signed = `${parts[0]}.${parts[1]}`;
  const given = Buffer.from(parts[2] ?? '', 'base64url');
  const expected = mac(key, signed);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, status: 403, reason: 'migration token signature invalid' };
  }
  let grant: MigrationGrant;
  try {
    const raw = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof raw.a !== 'string' || typeof raw.n !== 'string' || typeof raw.e !== 'number') throw new Error('shape');
    grant = { prevAllocId: raw.a, destNodeId: raw.n, expiresAtMs: raw.e };
  } catch {
    return { ok: false, status: 403, reason: 'malformed migration token' };
  }
  if (request.nowMs >= grant.expiresAtMs) return { ok: false, status: 403, reason: 'migration token expired' };
  if (grant.prevAllocId !== request.prevAllocId) {
    return { ok: false, status: 403, reason: `migration token is not for allocation ${request.prevAllocId}` };
  }
  if (grant.destNodeId !== request.destNodeId) {
    return { ok: false, status: 403, reason: 'migration token is bound to another destination node' };
  }
  return { ok: true, grant };
}
