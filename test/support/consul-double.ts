import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAgent, handleHealth } from './consul-double-agent.js';
import { type DoubleResponse, type Handler, HttpError } from './consul-double-http.js';
import { handleKv } from './consul-double-kv.js';
import { handleSession } from './consul-double-session.js';
import { ConsulState } from './consul-double-state.js';

/**
 * A strict stand-in for a Consul agent's HTTP API, for the endpoints pilotfish's Consul adapter
 * uses: sessions, KV (acquire/release/cas/recurse, blocking queries with X-Consul-Index), agent
 * service and TTL-check registration, and health queries. Unknown endpoints answer 404, known
 * endpoints with the wrong method 405, malformed bodies and parameters 400, as Consul does.
 * Listens on 127.0.0.1 only. `pause()` holds every request unanswered, like a frozen agent.
 */

/** Consul rejects request bodies over 512 KiB (KV values are limited to that). */
const MAX_BODY_BYTES = 512 * 1024;
const SWEEP_MS = 50;

const AREAS: Record<string, Handler> = {
  session: handleSession,
  kv: handleKv,
  agent: handleAgent,
  health: handleHealth,
  status: ({ method, rest }) => {
    if (rest !== 'leader') throw new HttpError(404, 'not found');
    if (method !== 'GET') throw new HttpError(405, `method ${method} not allowed`);
    return { body: '127.0.0.1:8300' };
  },
};

export interface ConsulDoubleOptions {
  /** When set, every request must carry it in X-Consul-Token (or ?token=), else 403. */
  aclToken?: string;
  port?: number;
}

export interface ConsulDouble {
  address: string;
  state: ConsulState;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startConsulDouble(options: ConsulDoubleOptions = {}): Promise<ConsulDouble> {
  const state = new ConsulState();
  let held: Array<() => void> | null = null;
  const server: Server = createServer((req, res) => {
    const run = () => void serve(req, res, state, options).catch(() => res.destroy());
    if (held) held.push(run);
    else run();
  });
  const ticker = setInterval(() => state.sweep(), SWEEP_MS);
  ticker.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    state,
    pause: () => {
      held ??= [];
    },
    resume: () => {
      const queued = held ?? [];
      held = null;
      for (const run of queued) run();
    },
    close: async () => {
      clearInterval(ticker);
      held = null;
      server.closeAllConnections();
      // Wake blocking queries so their timers do not outlive the double.
      state.bump();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'Request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function serve(req: IncomingMessage, res: ServerResponse, state: ConsulState, options: ConsulDoubleOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  let reply: DoubleResponse;
  try {
    if (options.aclToken !== undefined) {
      const token = req.headers['x-consul-token'] ?? url.searchParams.get('token');
      if (token !== options.aclToken) throw new HttpError(403, 'Permission denied');
    }
    const match = /^\/v1\/([a-z]+)\/?(.*)$/.exec(url.pathname);
    const handler = match ? AREAS[match[1] as string] : undefined;
    if (!match || !handler) throw new HttpError(404, 'not found');
    const body = await readBody(req);
    reply = await handler({ method: req.method ?? 'GET', rest: decodeURIComponent(match[2] as string), query: url.searchParams, body, state });
  } catch (err) {
    const status = err instanceof HttpError ? err.status : 500;
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(err instanceof Error ? err.message : String(err));
    return;
  }
  const headers: Record<string, string> = { 'Content-Type': reply.raw ? 'text/plain; charset=utf-8' : 'application/json' };
  if (reply.index !== undefined) {
    Object.assign(headers, { 'X-Consul-Index': String(reply.index), 'X-Consul-KnownLeader': 'true', 'X-Consul-LastContact': '0' });
  }
  res.writeHead(reply.status ?? 200, headers);
  res.end(reply.raw ? String(reply.body) : JSON.stringify(reply.body));
}
