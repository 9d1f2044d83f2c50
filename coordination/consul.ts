import type { Logger } from '../common/logger.js';
import { ConsulApi } from './consul-api.js';
import { type ConsulClient, classifyConsulError, createConsulClient, isInvalidSession, isNotFound } from './consul-client.js';
import { watchConsul } from './consul-watch.js';
import type {
  Coordinator,
  KvEntry,
  LeaderRecord,
  MemberRecord,
  ServiceRegistration,
  WatchEvent,
} from './coordinator.js';
import { withDeadline } from './deadline.js';
import { LEADER_KEY, MEMBERS_PREFIX, checkKey, clusterPrefix, decodeLeader, decodeMember, memberKey, sortMembers } from './records.js';
import { consulLease, type LeaseBounds } from './lease.js';
import { StoreSession } from './store-session.js';

export interface ConsulCoordinatorOptions {
  cluster: string;
  memberName?: string;
  /** `http://host:port` of the local Consul agent. */
  address: string;
  token?: string;
  datacenter?: string;
  /** Session TTL, 10 s to 24 h; Consul may invalidate up to twice as late. */
  ttlMs: number;
  /** After a session is invalidated, its locks cannot be acquired for this long. */
  lockDelayMs: number;
  timeoutMs: number;
  logger: Logger;
}

/**
 * The Coordinator port on Consul: one session per instance (TTL, lock-delay, Behavior=delete, so
 * keys it holds are deleted when it is invalidated), KV acquire for leader, members and locks,
 * `?cas=` for compare-and-set, blocking queries for watches, and agent service registration with a
 * TTL check tagged `primary`/`replica`. Every call runs through {@link ConsulCoordinator.op}.
 */
export class ConsulCoordinator implements Coordinator {
  readonly kind = 'consul' as const;
  readonly lease: LeaseBounds;
  private readonly client: ConsulClient;
  private readonly api: ConsulApi;
  private readonly prefix: string;
  private readonly session: StoreSession<AbortSignal>;
  private readonly services = new Map<string, ServiceRegistration>();
  private closed = false;

  constructor(private readonly options: ConsulCoordinatorOptions) {
    this.prefix = clusterPrefix(options.cluster);
    this.lease = consulLease(options.ttlMs, options.lockDelayMs);
    this.client = createConsulClient(options);
    this.api = new ConsulApi(this.client);
    this.session = new StoreSession<AbortSignal>(
      {
        noun: 'consul session',
        create: (signal) => this.createSession(signal),
        renew: async (id, signal) => {
          try {
            await this.api.sessionRenew(id, signal);
            return true;
          } catch (err) {
            if (isNotFound(err)) return false;
            throw err;
          }
        },
        isGone: isInvalidSession,
        destroy: (id, signal) => this.api.sessionDestroy(id, signal),
      },
      options.logger,
    );
  }

  /** The choke point: bounded by `timeoutMs` (+ `extraMs` for blocking queries), one error type for transport failures. */
  private op<T>(what: string, fn: (signal: AbortSignal) => Promise<T>, extraMs = 0): Promise<T> {
    return withDeadline(
      { what: `consul ${what}`, timeoutMs: this.options.timeoutMs + extraMs, endpoint: this.options.address },
      async (signal) => {
        try {
          return await fn(signal);
        } catch (err) {
          throw classifyConsulError(what, err);
        }
      },
    );
  }

  private key(key: string): string {
    return this.prefix + checkKey(key);
  }

  private async createSession(signal: AbortSignal): Promise<string> {
    const name = `pilotfish-${this.options.cluster}${this.options.memberName ? `-${this.options.memberName}` : ''}`;
    const ttl = `${this.lease.ttlMs / 1000}s`;
    const id = await this.api.sessionCreate({ name, ttl, lockdelay: `${this.options.lockDelayMs}ms` }, signal);
    this.options.logger.debug({ sessionId: id, ttl }, 'consul session created');
    return id;
  }

  keepAlive(): Promise<boolean> {
    return this.op('keepAlive', (signal) => this.session.keepAlive(signal));
  }

  private lockAt(signal: AbortSignal, key: string, value: string): Promise<boolean> {
    return this.session.bound(signal, (session) => this.api.kvPut(key, value, signal, { acquire: session }));
  }

  tryAcquireLeader(record: LeaderRecord): Promise<boolean> {
    return this.op('tryAcquireLeader', (signal) => this.lockAt(signal, this.key(LEADER_KEY), JSON.stringify(record)));
  }

  renewLeader(record?: LeaderRecord): Promise<boolean> {
    return this.op('renewLeader', async (signal) => {
      if (!(await this.session.renew(signal))) return false;
      const session = this.session.current as string;
      const key = this.key(LEADER_KEY);
      const item = await this.api.kvGet(key, signal);
      if (!item || item.Session !== session) return false;
      if (!record) return true;
      try {
        // Acquire by the holder only rewrites the value; Consul ignores `cas` next to `acquire`.
        return await this.api.kvPut(key, JSON.stringify(record), signal, { acquire: session });
      } catch (err) {
        if (!isInvalidSession(err)) throw err;
        this.session.markGone();
        return false;
      }
    });
  }

  /** Deletes `key` only while this session holds it; `?cas=` makes a concurrent change win. */
  private async unlockAt(signal: AbortSignal, key: string): Promise<void> {
    const session = this.session.current;
    if (session === null) return;
    const item = await this.api.kvGet(key, signal);
    if (item && item.Session === session) await this.api.kvDelete(key, signal, item.ModifyIndex);
  }

  releaseLeader(): Promise<void> {
    return this.op('releaseLeader', (signal) => this.unlockAt(signal, this.key(LEADER_KEY)));
  }

  getLeader(): Promise<LeaderRecord | null> {
    return this.op('getLeader', async (signal) => {
      const item = await this.api.kvGet(this.key(LEADER_KEY), signal);
      // A key without a session is no lock: someone released it without deleting.
      return item?.Session && item.Value !== null ? decodeLeader(item.Value) : null;
    });
  }

  putMember(record: MemberRecord): Promise<void> {
    return this.op('putMember', async (signal) => {
      const key = this.key(memberKey(record.name));
      const value = JSON.stringify(record);
      if (await this.lockAt(signal, key, value)) return;
      // An earlier incarnation's session still holds the entry; keep its content current until
      // that session expires and the entry can be acquired again.
      this.options.logger.debug({ member: record.name }, 'member entry held by another session');
      await this.api.kvPut(key, value, signal);
    });
  }

  deleteMember(name: string): Promise<void> {
    return this.delete(memberKey(name));
  }

  listMembers(): Promise<MemberRecord[]> {
    return this.op('listMembers', async (signal) => {
      const { items } = await this.api.kvList(this.key(MEMBERS_PREFIX), signal);
      const live = items.filter((item) => item.Session && item.Value !== null);
      return sortMembers(live.map((item) => decodeMember(item.Key.slice(this.prefix.length), item.Value as string)));
    });
  }

  tryLock(key: string, value: string): Promise<boolean> {
    return this.op('tryLock', (signal) => this.lockAt(signal, this.key(key), value));
  }

  unlock(key: string): Promise<void> {
    return this.op('unlock', (signal) => this.unlockAt(signal, this.key(key)));
  }

  get(key: string): Promise<KvEntry | null> {
    return this.op('get', async (signal) => {
      const item = await this.api.kvGet(this.key(key), signal);
      return item ? { key, value: item.Value ?? '', revision: String(item.ModifyIndex) } : null;
    });
  }

  put(key: string, value: string): Promise<void> {
    return this.op('put', async (signal) => {
      await this.api.kvPut(this.key(key), value, signal);
    });
  }

  cas(key: string, value: string, expectedRevision: string | null): Promise<boolean> {
    // `?cas=0` is Consul's create-only-if-absent.
    const index = expectedRevision === null ? 0 : Number(expectedRevision);
    return this.op('cas', (signal) => this.api.kvPut(this.key(key), value, signal, { cas: index }));
  }

  delete(key: string): Promise<void> {
    return this.op('delete', async (signal) => {
      await this.api.kvDelete(this.key(key), signal);
    });
  }

  watch(prefix: string, signal: AbortSignal, afterRevision?: string): AsyncIterable<WatchEvent> {
    return watchConsul({
      api: this.api,
      prefix: this.prefix + prefix,
      clusterPrefixLength: this.prefix.length,
      signal,
      afterRevision,
      waitMs: Math.max(1000, this.options.timeoutMs),
      run: (what, extraMs, fn) => this.op(what, fn, extraMs),
    });
  }

  registerService(service: ServiceRegistration): Promise<void> {
    return this.op('registerService', async (signal) => {
      const { id, name, address, port, tags } = service;
      await this.api.serviceRegister({ id, name, address, port, tags }, { ttl: checkTtl(service), status: 'critical' }, signal);
      this.services.set(id, { ...service, tags: [...tags] });
    });
  }

  updateService(id: string, tags: string[], healthy: boolean, note?: string): Promise<void> {
    return this.op('updateService', async (signal) => {
      const known = this.services.get(id);
      if (known && !sameTags(known.tags, tags)) {
        // Tags change only by registering again; the check keeps its id.
        const { name, address, port } = known;
        const status = healthy ? 'passing' : 'critical';
        await this.api.serviceRegister({ id, name, address, port, tags }, { ttl: checkTtl(known), status }, signal);
        this.services.set(id, { ...known, tags: [...tags] });
      }
      await this.api.checkSet(id, healthy, note, signal);
    });
  }

  deregisterService(id: string): Promise<void> {
    return this.op('deregisterService', async (signal) => {
      try {
        await this.api.serviceDeregister(id, signal);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.services.delete(id);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.close((fn) => this.op('close', fn));
    this.client.destroy();
  }
}

function checkTtl(service: ServiceRegistration): string {
  return `${Math.max(1, Math.ceil(service.checkTtlMs / 1000))}s`;
}

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((tag, i) => tag === b[i]);
}
