import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Acl } from '../acl/acl.js';

/**
 * Bearer-token authentication for the scheduler API. Every route is authenticated; there is no
 * anonymous endpoint. `Authorization: Bearer <token>` or `X-Pilotfish-Token: <token>` carry it.
 *
 * - no token → 401 (the caller must authenticate),
 * - a token that matches nothing → 403 (the caller authenticated with something not allowed).
 *
 * Accepted tokens: the management token from the server config (everything), and a node's
 * secret id handed out at registration (only that node's own agent endpoints; see `nodeId`).
 */

/** Who a request is, once authenticated. */
export type Principal = { kind: 'management' } | { kind: 'node'; nodeId: string } | { kind: 'acl'; acl: Acl };

/** The outcome of checking a request's token. */
export type AuthResult = { ok: true; principal: Principal } | { ok: false; status: 401 | 403; message: string };

/** Extracts the token from a request's headers; `undefined` when none was sent. */
export function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match) return match[1];
  }
  const alt = req.headers['x-pilotfish-token'];
  return typeof alt === 'string' && alt !== '' ? alt : undefined;
}

/** Constant-time comparison, so the time to answer does not leak how much of a token matched. */
export function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/**
 * Checks a token against the management token and the node secrets (`nodeBySecret` returns the
 * node id whose secret equals the token, or `undefined`).
 */
export function authenticate(
  token: string | undefined,
  managementToken: string,
  nodeBySecret: (secret: string) => string | undefined,
  aclBySecret?: (secret: string) => Acl | undefined,
): AuthResult {
  if (token === undefined) {
    return { ok: false, status: 401, message: 'missing token: send Authorization: Bearer <token>' };
  }
  if (sameToken(token, managementToken)) return { ok: true, principal: { kind: 'management' } };
  const nodeId = nodeBySecret(token);
  if (nodeId !== undefined) return { ok: true, principal: { kind: 'node', nodeId } };
  const acl = aclBySecret?.(token);
  if (acl !== undefined) return { ok: true, principal: { kind: 'acl', acl } };
  return { ok: false, status: 403, message: 'token not accepted' };
}
