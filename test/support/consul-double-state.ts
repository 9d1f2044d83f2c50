import { randomUUID } from 'node:crypto';

/**
 * The state behind the Consul test double: sessions, KV, agent services and TTL checks, and the
 * single Raft-like index every write advances. Semantics follow the Consul HTTP API docs
 * (api-docs/session, api-docs/kv, api-docs/agent/service, api-docs/agent/check, api-docs/health);
 * where real Consul is lazier (session TTL invalidation may come up to 2×TTL late) the double is
 * exact, so tests run at the documented bound.
 */

export interface KvRecord {
  Key: string;
  Value: Buffer | null;
  Flags: number;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
  Session?: string;
}

export interface SessionRecord {
  ID: string;
  Name: string;
  Node: string;
  /** Nanoseconds, as Consul reports it. */
  LockDelay: number;
  Behavior: 'release' | 'delete';
  TTL: string;
  NodeChecks: string[];
  ServiceChecks: null;
  CreateIndex: number;
  ModifyIndex: number;
  ttlMs: number;
  expiresAtMs: number | null;
}

export interface CheckRecord {
  CheckID: string;
  Name: string;
  Status: 'passing' | 'warning' | 'critical';
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  ttlMs: number;
  expiresAtMs: number;
}

export interface ServiceRecord {
  ID: string;
  Service: string;
  Tags: string[];
  Address: string;
  Port: number;
  checkIds: string[];
}

export const NODE = 'pilotfish-double';

export class ConsulState {
  index = 1;
  readonly kv = new Map<string, KvRecord>();
  /** Deletion index per key, so a prefix query's index covers deletes (Consul keeps tombstones). */
  readonly tombstones = new Map<string, number>();
  readonly sessions = new Map<string, SessionRecord>();
  /** Key → epoch ms until which acquires are refused after its holder was invalidated. */
  readonly lockDelays = new Map<string, number>();
  readonly services = new Map<string, ServiceRecord>();
  readonly checks = new Map<string, CheckRecord>();
  private waiters = new Set<() => void>();

  /** Advances the index and wakes blocking queries. */
  bump(): number {
    this.index++;
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
    return this.index;
  }

  /** Resolves at the next write or after `ms`, whichever comes first. */
  nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        resolve();
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.add(wake);
    });
  }

  createSession(body: { Name?: string; TTL?: string; LockDelay?: string | number; Behavior?: string }, ttlMs: number | null, lockDelayNs: number): SessionRecord {
    const index = this.bump();
    const session: SessionRecord = {
      ID: randomUUID(),
      Name: body.Name ?? '',
      Node: NODE,
      LockDelay: lockDelayNs,
      Behavior: body.Behavior === 'delete' ? 'delete' : 'release',
      TTL: body.TTL ?? '',
      NodeChecks: ['serfHealth'],
      ServiceChecks: null,
      CreateIndex: index,
      ModifyIndex: index,
      ttlMs: ttlMs ?? 0,
      expiresAtMs: ttlMs === null ? null : Date.now() + ttlMs,
    };
    this.sessions.set(session.ID, session);
    return session;
  }

  /** Invalidates a session: its locks are released or deleted per Behavior, and lock-delay starts. */
  invalidate(id: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    const delayUntil = Date.now() + session.LockDelay / 1e6;
    for (const [key, record] of [...this.kv]) {
      if (record.Session !== id) continue;
      if (session.LockDelay > 0) this.lockDelays.set(key, delayUntil);
      if (session.Behavior === 'delete') this.deleteKey(key);
      else {
        delete record.Session;
        record.ModifyIndex = this.bump();
      }
    }
    this.bump();
  }

  deleteKey(key: string): void {
    if (!this.kv.delete(key)) return;
    this.tombstones.set(key, this.bump());
  }

  /** Expires sessions and TTL checks whose time has come; called by the double's ticker. */
  sweep(now = Date.now()): void {
    for (const session of [...this.sessions.values()]) {
      if (session.expiresAtMs !== null && session.expiresAtMs <= now) this.invalidate(session.ID);
    }
    for (const check of this.checks.values()) {
      if (check.Status !== 'critical' && check.expiresAtMs <= now) {
        check.Status = 'critical';
        check.Output = 'TTL expired';
        this.bump();
      }
    }
  }

  /** The X-Consul-Index of a KV read: the highest modify or delete index under `prefix`, else the store's. */
  kvIndex(prefix: string, exact: boolean): number {
    let max = 0;
    for (const [key, record] of this.kv) if (exact ? key === prefix : key.startsWith(prefix)) max = Math.max(max, record.ModifyIndex);
    for (const [key, index] of this.tombstones) if (exact ? key === prefix : key.startsWith(prefix)) max = Math.max(max, index);
    return max > 0 ? max : this.index;
  }
}
