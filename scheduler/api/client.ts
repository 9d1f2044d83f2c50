import { PilotfishError } from '../../common/errors.js';

/**
 * HTTP client for the scheduler API, used by the CLI and the agent. Sends the token as a bearer
 * header (never in the URL, never logged). Non-2xx answers become a PilotfishError carrying the
 * server's message and the HTTP status in `details.status`; a transport failure (server down,
 * refused, timed out) is a retryable SCHEDULER_API error, so the agent can keep going without
 * the server.
 */
export interface ApiClientOptions {
  /** `http://127.0.0.1:4646` or `127.0.0.1:4646`. */
  address: string;
  token: string;
  /** Per request, long-polls included; default 10 s. */
  timeoutMs?: number;
}

export class ApiClient {
  readonly baseUrl: string;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = options.address.startsWith('http') ? options.address.replace(/\/$/, '') : `http://${options.address}`;
  }

  /** Replaces the token (the agent swaps to its node secret after registering). */
  withToken(token: string): ApiClient {
    return new ApiClient({ ...this.options, token });
  }

  /** Sends a request; returns the parsed JSON body of a 2xx answer, `undefined` for 404 when `allow404`. */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    opts: { timeoutMs?: number; signal?: AbortSignal; allow404?: boolean } = {},
  ): Promise<T> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.options.timeoutMs ?? 10_000);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      throw new PilotfishError('SCHEDULER_API', `cannot reach the scheduler at ${this.baseUrl}: ${(err as Error).message}`, {
        retryable: true,
        cause: err,
      });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = { error: text.slice(0, 200) };
    }
    if (response.status === 404 && opts.allow404) return undefined as T;
    if (!response.ok) {
      const message = (parsed as { error?: string } | undefined)?.error ?? response.statusText;
      const code = response.status === 401 ? 'UNAUTHORIZED' : response.status === 403 ? 'FORBIDDEN' : 'SCHEDULER_API';
      throw new PilotfishError(code, `${method} ${path} → ${response.status}: ${message}`, {
        retryable: response.status >= 500,
        details: { status: response.status, body: parsed },
      });
    }
    return parsed as T;
  }

  get<T>(path: string, opts?: { timeoutMs?: number; signal?: AbortSignal; allow404?: boolean }): Promise<T> {
    return this.request<T>('GET', path, undefined, opts);
  }

  post<T>(path: string, body?: unknown, opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<T> {
    return this.request<T>('POST', path, body ?? {}, opts);
  }

  put<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, body ?? {});
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }
}
