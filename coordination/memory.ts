import type {
  Coordinator,
  KvEntry,
  LeaderRecord,
  MemberRecord,
  ServiceRegistration,
  WatchEvent,
} from './coordinator.js';
import { EventQueue } from './event-queue.js';
import { MemoryStore } from './memory-store.js';
import {
  LEADER_KEY,
  MEMBERS_PREFIX,
  checkKey,
  clusterPrefix,
  decodeLeader,
  decodeMember,
  memberKey,
  sortMembers,
} from './records.js';
import type { LeaseBounds } from './lease.js';

export { MemoryStore } from './memory-store.js';

export interface MemoryCoordinatorOptions {
  cluster: string;
  ttlMs: number;
  /** Shared by the coordinators that play one cluster; a fresh store when omitted. */
  store?: MemoryStore;
}

/** How often an open watch applies overdue expiries when nothing else touches the store. */
const WATCH_SWEEP_MS = 100;

/**
 * The Coordinator port in process memory, for unit tests only. Same semantics as the etcd adapter:
 * one session per instance, lease-bound keys vanish with it, compare-and-set on revisions.
 */
export class MemoryCoordinator implements Coordinator {
  readonly kind = 'memory' as const;
  readonly lease: LeaseBounds;
  readonly store: MemoryStore;
  private readonly prefix: string;
  private readonly ttlMs: number;
  private session: number | null = null;

  constructor(options: MemoryCoordinatorOptions) {
    this.store = options.store ?? new MemoryStore();
    this.prefix = clusterPrefix(options.cluster);
    this.ttlMs = options.ttlMs;
    this.lease = { ttlMs: options.ttlMs, maxTtlMs: options.ttlMs };
  }

  private full(key: string): string {
    return this.prefix + checkKey(key);
  }

  /** The current session, created when there is none (or it expired). */
  private ensureSession(): number {
    if (this.session === null || !this.store.hasSession(this.session)) this.session = this.store.createSession(this.ttlMs);
    return this.session;
  }

  async keepAlive(): Promise<boolean> {
    this.store.enter('keepAlive');
    if (this.session !== null && this.store.renewSession(this.session)) return true;
    const hadOne = this.session !== null;
    this.session = this.store.createSession(this.ttlMs);
    return !hadOne;
  }

  private lockAt(key: string, value: string): boolean {
    const session = this.ensureSession();
    const current = this.store.keys.get(key);
    if (current && current.session !== session) return false;
    this.store.write(key, value, session);
    return true;
  }

  async tryAcquireLeader(record: LeaderRecord): Promise<boolean> {
    this.store.enter('tryAcquireLeader');
    return this.lockAt(this.full(LEADER_KEY), JSON.stringify(record));
  }

  async renewLeader(record?: LeaderRecord): Promise<boolean> {
    this.store.enter('renewLeader');
    if (this.session === null || !this.store.renewSession(this.session)) return false;
    const key = this.full(LEADER_KEY);
    if (this.store.keys.get(key)?.session !== this.session) return false;
    if (record) this.store.write(key, JSON.stringify(record), this.session);
    return true;
  }

  async releaseLeader(): Promise<void> {
    this.store.enter('releaseLeader');
    this.unlockAt(this.full(LEADER_KEY));
  }

  private unlockAt(key: string): void {
    if (this.session !== null && this.store.keys.get(key)?.session === this.session) this.store.remove(key);
  }

  async getLeader(): Promise<LeaderRecord | null> {
    this.store.enter('getLeader');
    const entry = this.store.keys.get(this.full(LEADER_KEY));
    return entry ? decodeLeader(entry.value) : null;
  }

  async putMember(record: MemberRecord): Promise<void> {
    this.store.enter('putMember');
    this.store.write(this.full(memberKey(record.name)), JSON.stringify(record), this.ensureSession());
  }

  async deleteMember(name: string): Promise<void> {
    this.store.enter('deleteMember');
    this.store.remove(this.full(memberKey(name)));
  }

  async listMembers(): Promise<MemberRecord[]> {
    this.store.enter('listMembers');
    const prefix = this.full(MEMBERS_PREFIX);
    const members: MemberRecord[] = [];
    for (const [key, entry] of this.store.keys) {
      if (key.startsWith(prefix)) members.push(decodeMember(key.slice(this.prefix.length), entry.value));
    }
    return sortMembers(members);
  }

  async tryLock(key: string, value: string): Promise<boolean> {
    this.store.enter('tryLock');
    return this.lockAt(this.full(key), value);
  }

  async unlock(key: string): Promise<void> {
    this.store.enter('unlock');
    this.unlockAt(this.full(key));
  }

  async get(key: string): Promise<KvEntry | null> {
    this.store.enter('get');
    const entry = this.store.keys.get(this.full(key));
    return entry ? { key, value: entry.value, revision: String(entry.modRevision) } : null;
  }

  async put(key: string, value: string): Promise<void> {
    this.store.enter('put');
    this.store.write(this.full(key), value, null);
  }

  async cas(key: string, value: string, expectedRevision: string | null): Promise<boolean> {
    this.store.enter('cas');
    const current = this.store.keys.get(this.full(key));
    const matches = expectedRevision === null ? !current : current?.modRevision === Number(expectedRevision);
    if (matches) this.store.write(this.full(key), value, null);
    return matches;
  }

  async delete(key: string): Promise<void> {
    this.store.enter('delete');
    this.store.remove(this.full(key));
  }

  watch(prefix: string, signal: AbortSignal, afterRevision?: string): AsyncIterable<WatchEvent> {
    this.store.enter('watch');
    const queue = new EventQueue<WatchEvent>(signal);
    const full = this.prefix + prefix;
    const unsubscribe = this.store.subscribe(
      (event) => {
        if (event.key.startsWith(full)) queue.push({ ...event, key: event.key.slice(this.prefix.length) });
      },
      afterRevision === undefined ? undefined : Number(afterRevision),
    );
    const sweeper = setInterval(() => this.store.sweep(), WATCH_SWEEP_MS);
    sweeper.unref();
    const stop = () => {
      unsubscribe();
      noOutage();
      clearInterval(sweeper);
    };
    const noOutage = this.store.onOutage((err) => {
      stop();
      queue.fail(err);
    });
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    return queue;
  }

  async registerService(service: ServiceRegistration): Promise<void> {
    this.store.enter('registerService');
    this.store.services.set(service.id, { ...service, tags: [...service.tags], healthy: false });
  }

  async updateService(id: string, tags: string[], healthy: boolean, note?: string): Promise<void> {
    this.store.enter('updateService');
    const service = this.store.services.get(id);
    if (service) this.store.services.set(id, { ...service, tags: [...tags], healthy, note });
  }

  async deregisterService(id: string): Promise<void> {
    this.store.enter('deregisterService');
    this.store.services.delete(id);
  }

  async close(): Promise<void> {
    if (this.session !== null) this.store.destroySession(this.session);
    this.session = null;
  }
}
