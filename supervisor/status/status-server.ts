import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { PilotfishError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { isWritablePrimary, type MemberState } from '../member-state.js';

/**
 * The member's HTTP API (node:http), modelled on Patroni's: health probes for load balancers stay
 * open, everything that hands out data needs `Authorization: Bearer <status-token>`.
 *
 * - `GET /health`   200 when the database answers, else 503
 * - `GET /primary`  200 only on the writable lease holder, else 503
 * - `GET /replica?lag=<seconds>` 200 on a running replica within `lag` (if given), else 503
 * - `GET /status`   JSON of this member's state (token)
 * - `GET /metrics`  Prometheus text (token)
 * - `POST /backup`  asks the cluster for a backup now; 202 once the request is recorded (token)
 */
export interface StatusServerOptions {
  listen: string;
  token: string;
  state: MemberState;
  /** Extra `/status` fields (member name, backups, …). */
  describe: () => Record<string, unknown>;
  /** `POST /backup`: asks the cluster for a backup now. */
  requestBackup?: () => Promise<void>;
  metrics: Registry;
  logger: Logger;
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? `${JSON.stringify(body)}\n` : String(body);
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(text);
}

function authorised(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

export async function startStatusServer(options: StatusServerOptions): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const { state } = options;
  const brief = () => ({ role: state.role, phase: state.phase, position: state.health?.position ?? null, lagSeconds: state.health?.lagSeconds ?? null });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://status');
    if (url.pathname === '/backup') {
      if (req.method !== 'POST') return send(res, 405, { error: 'POST /backup asks for a backup' });
      if (!authorised(req, options.token)) {
        res.setHeader('www-authenticate', 'Bearer');
        return send(res, 401, { error: 'this endpoint needs Authorization: Bearer <status token>' });
      }
      if (!options.requestBackup) return send(res, 404, { error: 'this member takes no backups' });
      await options.requestBackup();
      return send(res, 202, { requested: true });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'only GET (and POST /backup)' });
    switch (url.pathname) {
      case '/health':
        return send(res, state.health?.alive ? 200 : 503, { alive: state.health?.alive ?? false, ...brief() });
      case '/primary':
        return send(res, isWritablePrimary(state) ? 200 : 503, brief());
      case '/replica': {
        const maxLag = url.searchParams.has('lag') ? Number(url.searchParams.get('lag')) : Infinity;
        const h = state.health;
        const ok = state.phase === 'running' && state.role === 'replica' && h?.alive === true && h.replicating && (h.lagSeconds ?? Infinity) <= maxLag;
        return send(res, ok ? 200 : 503, brief());
      }
      case '/status':
      case '/metrics':
        if (!authorised(req, options.token)) {
          res.setHeader('www-authenticate', 'Bearer');
          return send(res, 401, { error: 'this endpoint needs Authorization: Bearer <status token>' });
        }
        if (url.pathname === '/status') return send(res, 200, { ...options.describe(), ...state });
        return send(res, 200, await options.metrics.metrics(), options.metrics.contentType);
      default:
        return send(res, 404, { error: `no endpoint ${url.pathname}; try /health, /primary, /replica, /status, /metrics` });
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.logger.warn({ err: (err as Error).message }, 'status request failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
    });
  });
  const [host, portText] = options.listen.split(':') as [string, string];
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new PilotfishError('CONFIG_INVALID', `status.listen: cannot listen on ${options.listen}: ${err.message}`, { cause: err })),
    );
    server.listen(Number(portText), host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : Number(portText);
  return {
    server,
    url: `http://${host}:${port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
