import { createServer, type Server } from 'node:http';
import type { Logger } from '../../common/logger.js';
import { describeError, PilotfishError } from '../../common/errors.js';
import type { Acl } from '../acl/acl.js';
import { authenticate, tokenOf } from './auth.js';
import { readJsonBody, type Router, sendJson, statusForError } from './router.js';

/** What the HTTP server needs to authenticate callers. */
export interface HttpAuth {
  managementToken: string;
  /** Node id whose secret equals `secret`, or `undefined`. */
  nodeBySecret(secret: string): string | undefined;
  /** The ACL of a client token (server `acl` config), or `undefined`. */
  aclBySecret?(secret: string): Acl | undefined;
}

/**
 * Serves `router` on node:http. Authentication runs before routing so that an unauthenticated
 * caller learns nothing, not even which paths exist: 401 without a token, 403 with a token that
 * is not accepted, 403 when a node secret calls a management-only route.
 */
export function createHttpServer(router: Router, auth: HttpAuth, logger: Logger): Server {
  return createServer((req, res) => {
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const result = authenticate(tokenOf(req), auth.managementToken, (s) => auth.nodeBySecret(s), auth.aclBySecret?.bind(auth));
      if (!result.ok) {
        sendJson(res, result.status, { error: result.message, code: result.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN' });
        return;
      }
      const method = req.method ?? 'GET';
      const found = router.match(method, url.pathname);
      if (!found) {
        sendJson(res, 404, { error: `no route for ${method} ${url.pathname}` });
        return;
      }
      if (result.principal.kind === 'acl' && !found.acl) {
        sendJson(res, 403, { error: 'an ACL token may only submit, plan and read jobs', code: 'FORBIDDEN' });
        return;
      }
      if (result.principal.kind === 'node' && !found.node) {
        sendJson(res, 403, { error: 'a node secret may only call its own node endpoints', code: 'FORBIDDEN' });
        return;
      }
      try {
        const body = await readJsonBody(req);
        const out = await found.handler({
          method,
          path: url.pathname,
          params: found.params,
          query: url.searchParams,
          body,
          signal: controller.signal,
          principal: result.principal,
        });
        if (!res.headersSent && !res.destroyed) sendJson(res, out.status ?? 200, out.body);
      } catch (err) {
        const status = statusForError(err);
        if (status >= 500) logger.error({ err, method, path: url.pathname }, 'request failed');
        const message = err instanceof PilotfishError ? err.message : status >= 500 ? 'internal error' : describeError(err);
        const details = err instanceof PilotfishError ? err.details : undefined;
        if (!res.headersSent && !res.destroyed) {
          sendJson(res, status, { error: message, code: err instanceof PilotfishError ? err.code : 'INTERNAL', details });
        }
      }
    })();
  });
}
