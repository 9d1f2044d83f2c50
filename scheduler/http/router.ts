import type { IncomingMessage, ServerResponse } from 'node:http';
import { PilotfishError } from '../../common/errors.js';
import type { Principal } from './auth.js';

/**
 * A small router on node:http: routes are `METHOD /v1/path/:param`, handlers get the parsed JSON
 * body, path parameters and query, and return `{status, body}`. A handler that throws a
 * PilotfishError gets a JSON error with a status from its code; anything else is a 500 whose
 * message is logged but not echoed (it may carry internals).
 */

/** What a handler sees of one request. */
export interface RouteRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** Aborted when the client goes away; long-polls stop waiting. */
  signal: AbortSignal;
  /** Who called: the management token, or a node's agent with its secret. */
  principal: Principal;
}

/** What a handler returns; `body` is sent as JSON. */
export interface RouteResponse {
  status?: number;
  body: unknown;
}

export type RouteHandler = (request: RouteRequest) => Promise<RouteResponse> | RouteResponse;

/** Route options: `node` routes also accept a node secret (the handler checks which node). */
export interface RouteOptions {
  node?: boolean;
  /** Also accepts ACL client tokens; the handler checks their capabilities. */
  acl?: boolean;
}

interface Route {
  method: string;
  segments: string[];
  handler: RouteHandler;
  node: boolean;
  acl: boolean;
}

/** Body size limit: job files are small; anything bigger is a mistake or an attack. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

const STATUS_BY_CODE: Record<string, number> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  JOBSPEC_INVALID: 400,
  CONFIG_INVALID: 400,
  SCHEDULER_API: 400,
};

/** Maps `METHOD path` to handlers, matching `:name` segments as parameters. */
export class Router {
  private readonly routes: Route[] = [];

  /** Adds a route; later routes never shadow earlier ones. */
  add(method: string, pattern: string, handler: RouteHandler, options: RouteOptions = {}): this {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), handler, node: options.node ?? false, acl: options.acl ?? false });
    return this;
  }

  /** Finds the handler for a request, or `undefined` when none matches. */
  match(
    method: string,
    path: string,
  ): { handler: RouteHandler; params: Record<string, string>; node: boolean; acl: boolean } | undefined {
    const parts = path.split('/').filter(Boolean);
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      route.segments.forEach((segment, i) => {
        const part = decodeURIComponent(parts[i] as string);
        if (segment.startsWith(':')) params[segment.slice(1)] = part;
        else if (segment !== part) ok = false;
      });
      if (ok) return { handler: route.handler, params, node: route.node, acl: route.acl };
    }
    return undefined;
  }
}

/** Reads a JSON body (empty body → `undefined`); a malformed body is a 400 naming the problem. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new PilotfishError('SCHEDULER_API', `request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new PilotfishError('SCHEDULER_API', `request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Writes a JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The HTTP status for a thrown error: PilotfishError codes map to 4xx, the rest to 500. */
export function statusForError(err: unknown): number {
  if (err instanceof PilotfishError) return STATUS_BY_CODE[err.code] ?? 500;
  return 500;
}
