import { CoordinatorUnavailable } from '../common/errors.js';
import type { ServiceRegistration, WatchEvent } from './coordinator.js';

/**
 * The in-process store behind the memory adapter, for unit tests only: several coordinators that
 * share one store behave like members of one cluster. Sessions expire by an injectable clock;
 * expiry is applied lazily on every operation and by {@link MemoryStore.sweep}, so a test with a
 * fake clock advances time and then calls `sweep()` (or any operation) to see its effect.
 */

export interface MemoryEntry {
  value: string;
  createRevision: number;
  modRevision: number;
  /** Owning session, for lease-bound keys. */
  session: number | null;
}

interface Session {
  ttlMs: number;
  expiresAtMs: number;
}

type Listener = (event: WatchEvent) => void;

/** How many past events a late watcher may replay with `afterRevision`. */
const HISTORY_LIMIT = 10_000;

export class MemoryStore {
  readonly keys = new Map<string, MemoryEntry>();
  /** Registered services by id, as a catalog would hold them; unit tests inspect it. */
  readonly services = new Map<string, ServiceRegistration & { healthy: boolean; note?: string }>();
  private readonly sessions = new Map<number, Session>();
  private readonly listeners = new Set<Listener>();
  private readonly outageListeners = new Set<(err: CoordinatorUnavailable) => void>();
  private readonly history: WatchEvent[] = [];
  private revision = 0;
  private nextSession = 1;
  private available = true;

  /** `now` returns epoch milliseconds; inject a fake clock to drive TTL expiry in tests. */
  constructor(readonly now: () => number = Date.now) {}

  /** Simulates an outage: while unavailable, every call throws CoordinatorUnavailable and open watches end with it. */
  setAvailable(available: boolean): void {
    this.available = available;
    if (available) return;
    const err = new CoordinatorUnavailable('memory watch: the store is marked unavailable');
    for (const listener of this.outageListeners) listener(err);
  }

  /** Called when the store is marked unavailable; returns the unsubscribe function. */
  onOutage(listener: (err: CoordinatorUnavailable) => void): () => void {
    this.outageListeners.add(listener);
    return () => this.outageListeners.delete(listener);
  }

  /** The gate every operation passes: outage check, then expiry of overdue sessions. */
  enter(what: string): void {
    if (!this.available) throw new CoordinatorUnavailable(`memory ${what}: the store is marked unavailable`);
    this.sweep();
  }

  /** Expires sessions whose TTL has passed and deletes their keys. */
  sweep(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) {
      if (session.expiresAtMs <= now) this.destroySession(id);
    }
  }

  createSession(ttlMs: number): number {
    const id = this.nextSession++;
    this.sessions.set(id, { ttlMs, expiresAtMs: this.now() + ttlMs });
    return id;
  }

  /** Pushes the session's expiry out by its TTL; `false` when it no longer exists. */
  renewSession(id: number): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    session.expiresAtMs = this.now() + session.ttlMs;
    return true;
  }

  hasSession(id: number): boolean {
    return this.sessions.has(id);
  }

  destroySession(id: number): void {
    this.sessions.delete(id);
    for (const [key, entry] of [...this.keys]) {
      if (entry.session === id) this.remove(key);
    }
  }

  /** Writes `key`; keeps its create revision when it existed. Returns the new revision. */
  write(key: string, value: string, session: number | null): number {
    const revision = ++this.revision;
    const old = this.keys.get(key);
    this.keys.set(key, { value, createRevision: old?.createRevision ?? revision, modRevision: revision, session });
    this.emit({ type: 'put', key, value, revision: String(revision) });
    return revision;
  }

  remove(key: string): void {
    if (!this.keys.delete(key)) return;
    const revision = ++this.revision;
    this.emit({ type: 'delete', key, value: null, revision: String(revision) });
  }

  /** Subscribes to every change; replays recorded events after `afterRevision` first. */
  subscribe(listener: Listener, afterRevision?: number): () => void {
    if (afterRevision !== undefined) {
      for (const event of this.history) if (Number(event.revision) > afterRevision) listener(event);
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: WatchEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
    for (const listener of this.listeners) listener(event);
  }
}
