import type { Etcd3, ICompare, IKeyValue, IRequestOp, ITxnResponse, Namespace } from 'etcd3';
import type { Logger } from '../common/logger.js';
import type {
  Coordinator,
  KvEntry,
  LeaderRecord,
  MemberRecord,
  ServiceRegistration,
  WatchEvent,
} from './coordinator.js';
import { withDeadline } from './deadline.js';
import { createEtcdClient, isLeaseInvalid, keepAliveOnce, prefixEnd } from './etcd-client.js';
import { watchEtcd } from './etcd-watch.js';
import { LEADER_KEY, MEMBERS_PREFIX, checkKey, clusterPrefix, decodeLeader, decodeMember, memberKey, sortMembers } from './records.js';
import { etcdLease, type LeaseBounds } from './lease.js';
import { StoreSession } from './store-session.js';

export interface EtcdCoordinatorOptions {
  cluster: string;
  endpoints: readonly string[];
  /** Lease TTL; etcd counts whole seconds, so it is rounded up. */
  ttlMs: number;
  /** Bound on every call, including retries inside it. */
  timeoutMs: number;
  username?: string;
  password?: string;
  logger: Logger;
}

/** A per-call context: the absolute deadline grpc enforces and the signal our timer aborts. */
interface Call {
  deadline: Date;
  signal: AbortSignal;
}

/**
 * The Coordinator port on etcd v3: one lease per instance (keys bound to it vanish with it),
 * compare-and-set through transactions on create_revision / mod_revision / lease, watches from a
 * revision. Every method runs through {@link EtcdCoordinator.op}, the single choke point that bounds
 * it by `timeoutMs` and turns transport failures into CoordinatorUnavailable.
 */
export class EtcdCoordinator implements Coordinator {
  readonly kind = 'etcd' as const;
  readonly lease: LeaseBounds;
  private readonly client: Etcd3;
  private readonly ns: Namespace;
  private readonly prefix: string;
  private readonly ttlSeconds: number;
  private readonly session: StoreSession<Call>;
  private closed = false;

  constructor(private readonly options: EtcdCoordinatorOptions) {
    this.prefix = clusterPrefix(options.cluster);
    this.lease = etcdLease(options.ttlMs);
    this.ttlSeconds = this.lease.ttlMs / 1000;
    this.client = createEtcdClient(options);
    this.ns = this.client.namespace(this.prefix);
    this.session = new StoreSession<Call>(
      {
        noun: 'etcd lease',
        create: (call) => this.grant(call),
        renew: async (id, call) => (await keepAliveOnce(this.client.leaseClient, id, call.deadline, call.signal)) > 0,
        isGone: isLeaseInvalid,
        destroy: async (id, call) => {
          await this.client.leaseClient.leaseRevoke({ ID: id }, { deadline: call.deadline });
        },
      },
      options.logger,
    );
  }

  /** The choke point: one deadline for the whole operation, one error type for every transport failure. */
  private op<T>(what: string, fn: (call: Call) => Promise<T>): Promise<T> {
    return withDeadline(
      { what: `etcd ${what}`, timeoutMs: this.options.timeoutMs, endpoint: this.options.endpoints.join(',') },
      (signal, deadlineMs) => fn({ deadline: new Date(deadlineMs), signal }),
    );
  }

  private key(key: string): Buffer {
    return Buffer.from(this.prefix + checkKey(key));
  }

  private async grant(call: Call): Promise<string> {
    const res = await this.client.leaseClient.leaseGrant({ TTL: this.ttlSeconds }, { deadline: call.deadline });
    this.options.logger.debug({ leaseId: res.ID, ttlSeconds: this.ttlSeconds }, 'etcd lease granted');
    // A server whose minimum lease TTL is longer grants more: fencing stays safe (it runs on the
    // shorter figure), but a dead holder blocks its successor for longer than the timings assume.
    if (Number(res.TTL) > this.ttlSeconds) {
      this.options.logger.warn({ requestedSeconds: this.ttlSeconds, grantedSeconds: Number(res.TTL) }, 'etcd granted a longer lease than requested; raise the configured ttl to match');
    }
    return res.ID;
  }

  private txn(call: Call, compare: ICompare[], success: IRequestOp[], failure: IRequestOp[] = []): Promise<ITxnResponse> {
    return this.client.kv.txn({ compare, success, failure }, { deadline: call.deadline });
  }

  keepAlive(): Promise<boolean> {
    return this.op('keepAlive', (call) => this.session.keepAlive(call));
  }

  /** Create-if-absent bound to the lease; rewrites the value when this lease already holds it. */
  private async lockAt(call: Call, key: Buffer, value: string): Promise<boolean> {
    return this.session.bound(call, async (lease) => {
      const put = { request_put: { key, value: Buffer.from(value), lease } };
      const created = await this.txn(call, [{ key, target: 'Create', result: 'Equal', create_revision: 0 }], [put]);
      if (created.succeeded) return true;
      const mine = await this.txn(call, [{ key, target: 'Lease', result: 'Equal', lease }], [put]);
      return mine.succeeded;
    });
  }

  tryAcquireLeader(record: LeaderRecord): Promise<boolean> {
    return this.op('tryAcquireLeader', (call) => this.lockAt(call, this.key(LEADER_KEY), JSON.stringify(record)));
  }

  renewLeader(record?: LeaderRecord): Promise<boolean> {
    return this.op('renewLeader', async (call) => {
      if (!(await this.session.renew(call))) return false;
      const key = this.key(LEADER_KEY);
      const lease = this.session.current as string;
      const op: IRequestOp = record
        ? { request_put: { key, value: Buffer.from(JSON.stringify(record)), lease } }
        : { request_range: { key } };
      return (await this.txn(call, [{ key, target: 'Lease', result: 'Equal', lease }], [op])).succeeded;
    });
  }

  private async unlockAt(call: Call, key: Buffer): Promise<void> {
    const lease = this.session.current;
    if (lease === null) return;
    await this.txn(call, [{ key, target: 'Lease', result: 'Equal', lease }], [
      { request_delete_range: { key } },
    ]);
  }

  releaseLeader(): Promise<void> {
    return this.op('releaseLeader', (call) => this.unlockAt(call, this.key(LEADER_KEY)));
  }

  private async read(call: Call, key: Buffer): Promise<IKeyValue | null> {
    const res = await this.client.kv.range({ key }, { deadline: call.deadline });
    return res.kvs[0] ?? null;
  }

  getLeader(): Promise<LeaderRecord | null> {
    return this.op('getLeader', async (call) => {
      const kv = await this.read(call, this.key(LEADER_KEY));
      return kv ? decodeLeader(kv.value.toString()) : null;
    });
  }

  putMember(record: MemberRecord): Promise<void> {
    return this.op('putMember', (call) =>
      this.session.bound(call, async (lease) => {
        const value = Buffer.from(JSON.stringify(record));
        await this.client.kv.put({ key: this.key(memberKey(record.name)), value, lease }, { deadline: call.deadline });
      }),
    );
  }

  deleteMember(name: string): Promise<void> {
    return this.delete(memberKey(name));
  }

  listMembers(): Promise<MemberRecord[]> {
    return this.op('listMembers', async (call) => {
      const key = this.key(MEMBERS_PREFIX);
      const res = await this.client.kv.range({ key, range_end: prefixEnd(key) }, { deadline: call.deadline });
      return sortMembers(res.kvs.map((kv) => decodeMember(kv.key.toString().slice(this.prefix.length), kv.value.toString())));
    });
  }

  tryLock(key: string, value: string): Promise<boolean> {
    return this.op('tryLock', (call) => this.lockAt(call, this.key(key), value));
  }

  unlock(key: string): Promise<void> {
    return this.op('unlock', (call) => this.unlockAt(call, this.key(key)));
  }

  get(key: string): Promise<KvEntry | null> {
    return this.op('get', async (call) => {
      const kv = await this.read(call, this.key(key));
      return kv ? { key, value: kv.value.toString(), revision: kv.mod_revision } : null;
    });
  }

  put(key: string, value: string): Promise<void> {
    return this.op('put', async (call) => {
      await this.client.kv.put({ key: this.key(key), value: Buffer.from(value) }, { deadline: call.deadline });
    });
  }

  cas(key: string, value: string, expectedRevision: string | null): Promise<boolean> {
    return this.op('cas', async (call) => {
      const k = this.key(key);
      const compare: ICompare =
        expectedRevision === null
          ? { key: k, target: 'Create', result: 'Equal', create_revision: 0 }
          : { key: k, target: 'Mod', result: 'Equal', mod_revision: expectedRevision };
      return (await this.txn(call, [compare], [{ request_put: { key: k, value: Buffer.from(value) } }])).succeeded;
    });
  }

  delete(key: string): Promise<void> {
    return this.op('delete', async (call) => {
      await this.client.kv.deleteRange({ key: this.key(key) }, { deadline: call.deadline });
    });
  }

  watch(prefix: string, signal: AbortSignal, afterRevision?: string): AsyncIterable<WatchEvent> {
    return watchEtcd({
      ns: this.ns,
      prefix,
      signal,
      afterRevision,
      timeoutMs: this.options.timeoutMs,
      // Liveness probe: a stalled etcd leaves a watch stream silent, so the watch asks every timeoutMs.
      probe: () =>
        this.op('watch probe', async (call) => {
          const res = await this.client.kv.range({ key: this.key(LEADER_KEY), count_only: true }, { deadline: call.deadline });
          return res.header.revision;
        }),
    });
  }

  async registerService(_service: ServiceRegistration): Promise<void> {}

  async updateService(_id: string, _tags: string[], _healthy: boolean, _note?: string): Promise<void> {}

  async deregisterService(_id: string): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.close((fn) => this.op('close', fn));
    this.client.close();
  }
}
