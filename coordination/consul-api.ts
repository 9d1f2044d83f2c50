import type { IncomingMessage } from 'node:http';
import { type ConsulClient, requestContext } from './consul-client.js';

/**
 * The handful of Consul HTTP API calls the adapter makes, through the `consul` package, with the
 * types its declarations lack (`ctx` for cancellation, `Session` on KV items, the response for
 * `X-Consul-Index`). Each call takes the AbortSignal of the adapter's choke point.
 */

/** A KV entry as `GET /v1/kv/:key` returns it, Value already base64-decoded by the package. */
export interface ConsulKvItem {
  Key: string;
  Value: string | null;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
  Flags: number;
  Session?: string;
}

type Loose = (opts: Record<string, unknown>) => Promise<unknown>;

function bind(target: object, method: string): Loose {
  const fn = (target as Record<string, Loose>)[method] as Loose;
  return (opts) => fn.call(target, opts);
}

export class ConsulApi {
  constructor(private readonly client: ConsulClient) {}

  async sessionCreate(body: { name: string; ttl: string; lockdelay: string }, signal: AbortSignal): Promise<string> {
    const res = (await bind(this.client.session, 'create')({ ...body, behavior: 'delete', ctx: requestContext(signal) })) as {
      ID: string;
    };
    return res.ID;
  }

  /** Renews a session; throws a 404 error when it no longer exists. */
  async sessionRenew(id: string, signal: AbortSignal): Promise<void> {
    await bind(this.client.session, 'renew')({ id, ctx: requestContext(signal) });
  }

  async sessionDestroy(id: string, signal: AbortSignal): Promise<void> {
    await bind(this.client.session, 'destroy')({ id, ctx: requestContext(signal) });
  }

  async kvGet(key: string, signal: AbortSignal): Promise<ConsulKvItem | null> {
    return ((await bind(this.client.kv, 'get')({ key, ctx: requestContext(signal) })) as ConsulKvItem | undefined) ?? null;
  }

  /**
   * `GET /v1/kv/:prefix?recurse`, optionally blocking (`index`, `wait`). Returns the items and the
   * `X-Consul-Index` of the answer.
   */
  async kvList(
    prefix: string,
    signal: AbortSignal,
    block?: { index: number; waitMs: number },
  ): Promise<{ items: ConsulKvItem[]; index: number }> {
    const opts: Record<string, unknown> = { key: prefix, recurse: true, ctx: requestContext(signal, true) };
    if (block) Object.assign(opts, { index: String(block.index), wait: `${Math.ceil(block.waitMs / 1000)}s` });
    const [res, body] = (await bind(this.client.kv, 'get')(opts)) as [IncomingMessage, ConsulKvItem[] | ConsulKvItem | undefined];
    const items = body === undefined ? [] : Array.isArray(body) ? body : [body];
    return { items, index: Number(res.headers['x-consul-index'] ?? 0) };
  }

  /**
   * `PUT /v1/kv/:key` with `acquire`, `release` or `cas`; Consul answers `true` or `false`, which
   * the package hands back as `true` or `undefined` (papi drops falsy results).
   */
  async kvPut(
    key: string,
    value: string,
    signal: AbortSignal,
    condition: { acquire?: string; cas?: number } = {},
  ): Promise<boolean> {
    return (await bind(this.client.kv, 'set')({ key, value, ...condition, ctx: requestContext(signal) })) === true;
  }

  async kvDelete(key: string, signal: AbortSignal, cas?: number): Promise<boolean> {
    const opts = { key, ...(cas !== undefined ? { cas } : {}), ctx: requestContext(signal) };
    return (await bind(this.client.kv, 'del')(opts)) === true;
  }

  async serviceRegister(
    service: { id: string; name: string; address: string; port: number; tags: string[] },
    check: { ttl: string; status: 'passing' | 'critical' },
    signal: AbortSignal,
  ): Promise<void> {
    await bind(this.client.agent.service, 'register')({
      ...service,
      check: { checkid: checkId(service.id), name: `${service.name} supervisor`, ...check },
      ctx: requestContext(signal),
    });
  }

  async serviceDeregister(id: string, signal: AbortSignal): Promise<void> {
    await bind(this.client.agent.service, 'deregister')({ id, ctx: requestContext(signal) });
  }

  /** `PUT /v1/agent/check/pass|fail/:check_id?note=…`. */
  async checkSet(serviceId: string, healthy: boolean, note: string | undefined, signal: AbortSignal): Promise<void> {
    const opts = { id: checkId(serviceId), ...(note !== undefined ? { note } : {}), ctx: requestContext(signal) };
    await bind(this.client.agent.check, healthy ? 'pass' : 'fail')(opts);
  }
}

/** The TTL check's id; Consul's own default for a service's single check, named explicitly. */
export function checkId(serviceId: string): string {
  return `service:${serviceId}`;
}
