import type { ConsulState } from './consul-double-state.js';

/** Request plumbing shared by the Consul double's endpoint handlers. */

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What a route handler gets: the parsed request and the double's state. */
export interface DoubleRequest {
  method: string;
  /** The path after `/v1/<area>/`, URL-decoded. */
  rest: string;
  query: URLSearchParams;
  body: Buffer;
  state: ConsulState;
}

export interface DoubleResponse {
  status?: number;
  body: unknown;
  /** Sent as X-Consul-Index (blocking-capable endpoints). */
  index?: number;
  /** Send `body` as plain text instead of JSON. */
  raw?: boolean;
}

export type Handler = (req: DoubleRequest) => Promise<DoubleResponse> | DoubleResponse;

export function allow(req: DoubleRequest, ...methods: string[]): void {
  if (!methods.includes(req.method)) throw new HttpError(405, `method ${req.method} not allowed`);
}

const GO_DURATION = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration string (`15s`, `1500ms`, `1m30s`); `undefined` when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  GO_DURATION.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = GO_DURATION.exec(text); m !== null; m = GO_DURATION.exec(text)) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    consumed = GO_DURATION.lastIndex;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}

/** A JSON object body, or 400 as Consul answers an undecodable one. An empty body is `{}`. */
export function jsonBody(req: DoubleRequest, allowedFields: readonly string[]): Record<string, unknown> {
  if (req.body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `Request decode failed: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new HttpError(400, 'Request decode failed: expected a JSON object');
  }
  const unknown = Object.keys(parsed).filter((key) => !allowedFields.includes(key));
  if (unknown.length > 0) throw new HttpError(400, `Request decode failed: unknown field(s) ${unknown.join(', ')}`);
  return parsed as Record<string, unknown>;
}

/** Default and maximum `wait` of a blocking query (Consul docs: 5 minutes, at most 10). */
const DEFAULT_WAIT_MS = 300_000;
const MAX_WAIT_MS = 600_000;

/**
 * Blocking-query semantics: with `?index=N`, waits until `currentIndex()` exceeds N or `wait`
 * (plus Consul's documented random jitter of up to wait/16) passes, then lets the caller answer.
 */
export async function block(req: DoubleRequest, currentIndex: () => number): Promise<void> {
  const indexText = req.query.get('index');
  if (indexText === null) return;
  if (!/^\d+$/.test(indexText)) throw new HttpError(400, `Invalid index: ${indexText}`);
  const index = Number(indexText);
  const waitText = req.query.get('wait');
  let waitMs = DEFAULT_WAIT_MS;
  if (waitText !== null) {
    const parsed = parseGoDuration(waitText);
    if (parsed === undefined) throw new HttpError(400, `Invalid wait time: ${waitText}`);
    waitMs = Math.min(parsed, MAX_WAIT_MS);
  }
  const deadline = Date.now() + waitMs + Math.random() * (waitMs / 16);
  while (currentIndex() <= index) {
    const left = deadline - Date.now();
    if (left <= 0) return;
    await req.state.nextChange(left);
  }
}

export function uintParam(req: DoubleRequest, name: string): number | undefined {
  const text = req.query.get(name);
  if (text === null) return undefined;
  if (!/^\d+$/.test(text)) throw new HttpError(400, `Invalid ${name} value: ${text}`);
  return Number(text);
}
