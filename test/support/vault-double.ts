import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A strict stand-in for the parts of Vault's HTTP API the Vault SecretStore adapter uses, on
 * 127.0.0.1, following https://developer.hashicorp.com/vault/api-docs:
 *
 * - KV v2 `GET|POST|PUT /v1/<mount>/data/<path>`: read answers `{data:{data,metadata}}`, a missing
 *   secret is 404 `{errors:[]}`; write takes `{data:{…}}`.
 * - `GET /v1/auth/token/lookup-self` (`data.ttl` in whole seconds, computed as Vault does), `POST /v1/auth/token/renew-self`
 *   (`auth.lease_duration`, capped at the token's max TTL as Vault does), `POST /v1/auth/approle/login`.
 * - Every endpoint but the login checks `X-Vault-Token`: missing, unknown, revoked or expired gives
 *   403 `{errors:["permission denied"]}`. Tokens really expire at their TTL.
 * - Unknown route 404, wrong method 405, malformed JSON body 400, all with Vault's `errors` array.
 *
 * Time comes from one clock, the `now` option of {@link VaultDouble.start} (`Date.now` by default):
 * token expiry, `ttl`, renewal and the request log all read it, so a test can set the elapsed time
 * exactly instead of depending on how fast the machine answers.
 *
 * Controls: `setDown(true)` makes it accept TCP connections and reset them at once (Vault
 * unreachable), while still logging each attempt, so outage tests can read retry times from
 * `requests()`. Every request is logged with its time, method, path and status.
 */

interface TokenEntry {
  accessor: string;
  issuedAtMs: number;
  ttlMs: number;
  /** 0 = no cap. */
  maxTtlMs: number;
  expiresAtMs: number;
  renewable: boolean;
  revoked: boolean;
  path: string;
}

interface AppRole {
  roleId: string;
  secretId: string;
  tokenTtlMs: number;
  tokenMaxTtlMs: number;
}

/** One request as the double saw it; `status` is `'reset'` for a connection refused while down. */
export interface VaultRequest {
  atMs: number;
  method: string;
  path: string;
  status: number | 'reset';
}

/** Options for {@link VaultDouble.start}. */
export interface VaultDoubleOptions {
  /** The double's clock in epoch milliseconds; `Date.now` unless a test drives time itself. */
  now?: () => number;
}

const JSON_TYPE = { 'content-type': 'application/json' };

export class VaultDouble {
  readonly rootToken = `hvs.root-${randomUUID()}`;
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly roles = new Map<string, AppRole>();
  private readonly kv = new Map<string, { data: Record<string, unknown>; version: number; at: string }>();
  private readonly mounts = new Set(['secret']);
  private readonly log: VaultRequest[] = [];
  private readonly sockets = new Set<Socket>();
  private down = false;

  private constructor(
    private readonly server: Server,
    readonly address: string,
    private readonly now: () => number,
  ) {}

  /** Starts the double on a free 127.0.0.1 port. */
  static async start(options: VaultDoubleOptions = {}): Promise<VaultDouble> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const double = new VaultDouble(server, `http://127.0.0.1:${port}`, options.now ?? Date.now);
    double.tokens.set(double.rootToken, double.entry(0, 0, 'auth/token/root'));
    server.on('connection', (socket) => double.onConnection(socket));
    server.on('request', (req, res) => void double.handle(req, res));
    return double;
  }

  /** Vault unreachable (`true`): connections are reset on accept; existing ones are cut. */
  setDown(down: boolean): void {
    this.down = down;
    if (down) for (const socket of this.sockets) socket.destroy();
  }

  /** Issues a token with this TTL (0 = never expires), as `vault token create -ttl=… -explicit-max-ttl=…`. */
  createToken(ttlMs: number, options: { maxTtlMs?: number; renewable?: boolean } = {}): string {
    const token = `hvs.${randomUUID()}`;
    this.tokens.set(token, { ...this.entry(ttlMs, options.maxTtlMs ?? 0, 'auth/token/create'), renewable: options.renewable ?? true });
    return token;
  }

  /** Defines an AppRole whose logins hand out tokens with these TTLs; returns its credentials. */
  addAppRole(tokenTtlMs: number, tokenMaxTtlMs = 0): { roleId: string; secretId: string } {
    const role = { roleId: randomUUID(), secretId: randomUUID(), tokenTtlMs, tokenMaxTtlMs };
    this.roles.set(role.roleId, role);
    return { roleId: role.roleId, secretId: role.secretId };
  }

  /** Revokes every token but the root token (`vault token revoke`). */
  revokeAll(): void {
    for (const [token, entry] of this.tokens) if (token !== this.rootToken) entry.revoked = true;
  }

  /** Every request seen so far, optionally only those whose path contains `pathPart`. */
  requests(pathPart?: string): VaultRequest[] {
    return this.log.filter((r) => pathPart === undefined || r.path.includes(pathPart));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private entry(ttlMs: number, maxTtlMs: number, path: string): TokenEntry {
    const now = this.now();
    return {
      accessor: randomUUID(),
      issuedAtMs: now,
      ttlMs,
      maxTtlMs,
      expiresAtMs: ttlMs === 0 ? Infinity : now + ttlMs,
      renewable: ttlMs > 0,
      revoked: false,
      path,
    };
  }

  private onConnection(socket: Socket): void {
    if (this.down) {
      this.log.push({ atMs: this.now(), method: '-', path: '-', status: 'reset' });
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', this.address);
    const method = req.method ?? 'GET';
    const [status, body] = this.route(method, url.pathname, Buffer.concat(chunks).toString('utf8'), req);
    this.log.push({ atMs: this.now(), method, path: url.pathname, status });
    res.writeHead(status, JSON_TYPE).end(body === undefined ? undefined : JSON.stringify(body));
  }

  private route(method: string, path: string, text: string, req: IncomingMessage): [number, unknown] {
    let body: Record<string, unknown> = {};
    if (text.trim() !== '') {
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        body = parsed as Record<string, unknown>;
      } catch (err) {
        return [400, { errors: [`failed to parse JSON input: ${(err as Error).message}`] }];
      }
    }
    const allow = (methods: string[]) => methods.includes(method);
    const unsupported: [number, unknown] = [405, { errors: ['1 error occurred:\n\t* unsupported operation\n\n'] }];

    if (path === '/v1/auth/approle/login') {
      return allow(['POST', 'PUT']) ? this.appRoleLogin(body) : unsupported;
    }
    const token = this.validToken(req.headers['x-vault-token']);
    if (token === undefined) return [403, { errors: ['permission denied'] }];
    if (path === '/v1/auth/token/lookup-self') return allow(['GET']) ? this.lookupSelf(token) : unsupported;
    if (path === '/v1/auth/token/renew-self') return allow(['POST', 'PUT']) ? this.renewSelf(token) : unsupported;
    const kv = /^\/v1\/([^/]+)\/data\/(.+)$/.exec(path);
    if (kv && this.mounts.has(kv[1] as string)) {
      const key = `${kv[1]}/${kv[2]}`;
      if (allow(['GET'])) return this.kvRead(key);
      if (allow(['POST', 'PUT'])) return this.kvWrite(key, body);
      return unsupported;
    }
    return [404, { errors: [`no handler for route "${path.replace(/^\/v1\//, '')}". route entry not found.`] }];
  }

  private validToken(header: string | string[] | undefined): [string, TokenEntry] | undefined {
    if (typeof header !== 'string') return undefined;
    const entry = this.tokens.get(header);
    if (!entry || entry.revoked || this.now() >= entry.expiresAtMs) return undefined;
    return [header, entry];
  }

  /**
   * As Vault's `leaseEntry.ttl()`, `int64(ExpireTime.Sub(time.Now().Round(time.Second)).Seconds())`:
   * the expiry minus now rounded to the nearest whole second (halves up), truncated toward zero. So
   * a 1 s token reads `ttl: 1` at once when issued in the first half of a wall-clock second and
   * `ttl: 0` when issued in the second half, and `ttl: 0` throughout its last half second or more.
   */
  private ttlSeconds(entry: TokenEntry): number {
    if (entry.expiresAtMs === Infinity) return 0;
    const nowToSecondMs = Math.round(this.now() / 1000) * 1000;
    // A valid token can sit up to half a second past the rounded now; Vault truncates that to 0.
    return Math.max(0, Math.trunc((entry.expiresAtMs - nowToSecondMs) / 1000));
  }

  private lookupSelf([token, entry]: [string, TokenEntry]): [number, unknown] {
    const data = {
      accessor: entry.accessor,
      creation_time: Math.floor(entry.issuedAtMs / 1000),
      creation_ttl: Math.floor(entry.ttlMs / 1000),
      explicit_max_ttl: Math.floor(entry.maxTtlMs / 1000),
      expire_time: entry.expiresAtMs === Infinity ? null : new Date(entry.expiresAtMs).toISOString(),
      id: token,
      num_uses: 0,
      path: entry.path,
      policies: ['default'],
      renewable: entry.renewable,
      ttl: this.ttlSeconds(entry),
      type: 'service',
    };
    return [200, envelope({ data })];
  }

  private renewSelf([token, entry]: [string, TokenEntry]): [number, unknown] {
    if (!entry.renewable) return [400, { errors: ['lease is not renewable'] }];
    const now = this.now();
    const capAtMs = entry.maxTtlMs > 0 ? entry.issuedAtMs + entry.maxTtlMs : Infinity;
    entry.expiresAtMs = Math.min(now + entry.ttlMs, capAtMs);
    const capped = entry.expiresAtMs === capAtMs;
    const warnings = capped ? ['TTL of the token exceeded the effective max_ttl; TTL value is capped accordingly'] : null;
    // Vault reports the granted increment in whole seconds, truncated when the max TTL caps it.
    const grantedSeconds = Math.floor((entry.expiresAtMs - now) / 1000);
    return [200, envelope({ auth: this.auth(token, entry, grantedSeconds), warnings })];
  }

  private appRoleLogin(body: Record<string, unknown>): [number, unknown] {
    const role = typeof body.role_id === 'string' ? this.roles.get(body.role_id) : undefined;
    if (!role || body.secret_id !== role.secretId) return [400, { errors: ['invalid role or secret ID'] }];
    const token = `hvs.${randomUUID()}`;
    const entry = this.entry(role.tokenTtlMs, role.tokenMaxTtlMs, 'auth/approle/login');
    this.tokens.set(token, entry);
    return [200, envelope({ auth: this.auth(token, entry, Math.floor(role.tokenTtlMs / 1000)) })];
  }

  private auth(token: string, entry: TokenEntry, leaseSeconds: number) {
    return {
      client_token: token,
      accessor: entry.accessor,
      policies: ['default'],
      token_policies: ['default'],
      metadata: null,
      lease_duration: leaseSeconds,
      renewable: entry.renewable,
      token_type: 'service',
      orphan: true,
    };
  }

  private kvRead(key: string): [number, unknown] {
    const entry = this.kv.get(key);
    if (!entry) return [404, { errors: [] }];
    const metadata = { created_time: entry.at, custom_metadata: null, deletion_time: '', destroyed: false, version: entry.version };
    return [200, envelope({ data: { data: entry.data, metadata } })];
  }

  private kvWrite(key: string, body: Record<string, unknown>): [number, unknown] {
    if (body.data === null || typeof body.data !== 'object' || Array.isArray(body.data)) {
      return [400, { errors: ['no data provided'] }];
    }
    const version = (this.kv.get(key)?.version ?? 0) + 1;
    const at = new Date(this.now()).toISOString();
    this.kv.set(key, { data: body.data as Record<string, unknown>, version, at });
    return [200, envelope({ data: { created_time: at, custom_metadata: null, deletion_time: '', destroyed: false, version } })];
  }
}

/** Vault's response envelope around `data` or `auth`. */
function envelope(fields: { data?: unknown; auth?: unknown; warnings?: string[] | null }) {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: fields.data ?? null,
    wrap_info: null,
    warnings: fields.warnings ?? null,
    auth: fields.auth ?? null,
  };
}
