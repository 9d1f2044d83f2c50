import type { LeaseBounds } from './lease.js';

/**
 * The Coordinator port: leader election, member registry, service registration, KV with
 * compare-and-set, and watches, over a coordination store (etcd, Consul). pilotfish implements no
 * consensus of its own; every guarantee below is the store's.
 *
 * Keys are relative to `pilotfish/<cluster>/` (see DESIGN.md § Coordination data model).
 *
 * Errors: every method may throw {@link CoordinatorUnavailable} (from `common/errors.ts`) when the
 * store does not answer within the adapter's `timeoutMs` or refuses the connection; adapters convert
 * transport failures at a single choke point and never hang past that bound. Lost races and absent
 * keys are return values (`false`, `null`), never errors.
 *
 * Session: each Coordinator instance owns one store session (etcd lease, Consul session) with a TTL.
 * Lease-bound keys (leader, members/<name>, backups/lock) vanish when it expires or is closed.
 */

/** Content of the `leader` key. */
export interface LeaderRecord {
  member: string;
  /** Where clients reach the primary, `host:port`. */
  address: string;
  /** Increases by one on every change of primary; fencing compares terms. */
  term: number;
  /** ISO timestamp of when this member became primary. */
  since: string;
}

export type MemberRole = 'primary' | 'replica' | 'starting' | 'stopped';

/** Content of `members/<name>`. */
export interface MemberRecord {
  name: string;
  /** Database address, `host:port`. */
  address: string;
  /** Supervisor status API base URL, `http://host:port`. */
  statusUrl?: string;
  role: MemberRole;
  /** Replication position in the recipe's notation (MariaDB GTID list `0-1-2007`). */
  position: string;
  lagSeconds: number | null;
  healthy: boolean;
  version: string;
  tags: string[];
  priority?: number;
  /** The recipe the member runs (`mysql`, `directory`), so tools reading the cluster know how to order positions. */
  recipe?: string;
}

/** A value with the store's modification revision, the token for compare-and-set. */
export interface KvEntry {
  key: string;
  value: string;
  /** Opaque: etcd mod_revision, Consul ModifyIndex, as a decimal string. */
  revision: string;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  /** `null` on delete. */
  value: string | null;
  revision: string;
}

/** A service instance registered with the store's health checking (Consul); a no-op on etcd. */
export interface ServiceRegistration {
  id: string;
  /** Consul service name, the cluster name by convention, so `primary.<cluster>.service.consul` resolves. */
  name: string;
  address: string;
  port: number;
  tags: string[];
  /** TTL of the check the supervisor passes on every HA cycle. */
  checkTtlMs: number;
}

export interface Coordinator {
  /** The store's kind, for logs and test names. */
  readonly kind: 'etcd' | 'consul' | 'memory';

  /**
   * The lease as the store really keeps it (whole seconds on etcd and Consul; a Consul session may
   * outlive its TTL up to twice). Fixed for the instance's life; every lease-derived timing of the
   * supervisor is computed from it.
   */
  readonly lease: LeaseBounds;

  /**
   * Renews this instance's session/lease, creating it on first use. Returns `false` when the
   * previous session had already expired and a new one was created: every lease-bound key this
   * instance held (leader, member entry, locks) is gone and must be re-acquired. Takes at most
   * `timeoutMs`.
   */
  keepAlive(): Promise<boolean>;

  /**
   * Compare-and-set: creates `leader` bound to this session when no one holds it. Returns `true`
   * when this instance holds it afterwards (also when it already did), `false` when another
   * session holds it.
   */
  tryAcquireLeader(record: LeaderRecord): Promise<boolean>;

  /**
   * Renews the session and confirms this instance still holds `leader`, rewriting `record` when
   * given. Returns `false` when the lease was lost (expired or taken); the caller must fence.
   */
  renewLeader(record?: LeaderRecord): Promise<boolean>;

  /** Deletes `leader` if, and only if, this session holds it. Idempotent. */
  releaseLeader(): Promise<void>;

  /** The current leader, or `null` when none holds the lease. */
  getLeader(): Promise<LeaderRecord | null>;

  /** Creates or replaces `members/<record.name>`, bound to this session. */
  putMember(record: MemberRecord): Promise<void>;

  /** Deletes this instance's member entry. Idempotent. */
  deleteMember(name: string): Promise<void>;

  /** All live member entries, sorted by name. */
  listMembers(): Promise<MemberRecord[]>;

  /**
   * Compare-and-set lock at `key`, bound to this session (e.g. `backups/lock`). Returns `true`
   * when this instance holds it afterwards, `false` when another session does.
   */
  tryLock(key: string, value: string): Promise<boolean>;

  /** Deletes the lock at `key` if this session holds it. Idempotent. */
  unlock(key: string): Promise<void>;

  /** Reads one key; `null` when absent. */
  get(key: string): Promise<KvEntry | null>;

  /** Unconditional write, not bound to the session. */
  put(key: string, value: string): Promise<void>;

  /**
   * Compare-and-set write. `expectedRevision === null` creates the key only if absent (the
   * create-once `initialized` key uses this). Returns `false` on a conflict.
   */
  cas(key: string, value: string, expectedRevision: string | null): Promise<boolean>;

  /** Deletes one key. Idempotent. */
  delete(key: string): Promise<void>;

  /**
   * Streams changes under `prefix` in store order, starting after `afterRevision` when given (else
   * from now). Ends when `signal` aborts; throws CoordinatorUnavailable when the store is lost for
   * longer than `timeoutMs` so the caller can resynchronise from a fresh read.
   *
   * etcd delivers every change. Consul has no change log: its adapter diffs the prefix between two
   * blocking-query answers, so changes that land between two answers coalesce into the latest value
   * (a key created and deleted in between is never seen), replays after `afterRevision` only keys
   * modified since (as puts, no deletions), and notices a lost agent within about twice `timeoutMs`.
   * Treat a watch as a prompt to re-read, not as an audit log.
   */
  watch(prefix: string, signal: AbortSignal, afterRevision?: string): AsyncIterable<WatchEvent>;

  /** Registers a service with a TTL check (Consul). No-op where the store has no service catalog. */
  registerService(service: ServiceRegistration): Promise<void>;

  /** Updates the service's tags and passes or fails its TTL check. No-op without a catalog. */
  updateService(id: string, tags: string[], healthy: boolean, note?: string): Promise<void>;

  /** Removes the service registration. Idempotent; no-op without a catalog. */
  deregisterService(id: string): Promise<void>;

  /**
   * Ends the session: releases lease-bound keys (leader, member, locks) at once instead of at TTL
   * expiry, then closes connections. Idempotent; never throws for an unreachable store.
   */
  close(): Promise<void>;
}
