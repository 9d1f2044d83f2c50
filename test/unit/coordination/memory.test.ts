import { describe, expect, it } from 'vitest';
import { CoordinatorUnavailable } from '../../../common/errors.js';
import type { WatchEvent } from '../../../coordination/coordinator.js';
import { MemoryCoordinator, MemoryStore } from '../../../coordination/memory.js';

function fakeClock() {
  let nowMs = 1_000_000;
  return { now: () => nowMs, advance: (ms: number) => (nowMs += ms) };
}

const record = (member: string) => ({ member, address: `${member}:3306`, term: 1, since: '2026-01-01T00:00:00Z' });

describe('MemoryCoordinator', () => {
  it('MemoryCoordinator_sessionExpiry_followsTheInjectedClock', async () => {
    const clock = fakeClock();
    const store = new MemoryStore(clock.now);
    const a = new MemoryCoordinator({ cluster: 'c', ttlMs: 5000, store });
    const b = new MemoryCoordinator({ cluster: 'c', ttlMs: 5000, store });
    expect(await a.keepAlive()).toBe(true);
    expect(await a.tryAcquireLeader(record('a'))).toBe(true);
    clock.advance(4999);
    expect(await b.tryAcquireLeader(record('b'))).toBe(false);
    expect(await a.keepAlive()).toBe(true);
    clock.advance(4999);
    expect(await b.tryAcquireLeader(record('b'))).toBe(false);
    clock.advance(1);
    expect(await b.tryAcquireLeader(record('b'))).toBe(true);
    expect(await a.keepAlive()).toBe(false);
    expect(await a.renewLeader()).toBe(false);
    expect(await a.keepAlive()).toBe(true);
  });

  it('MemoryCoordinator_watch_seesExpiryAsDelete', async () => {
    const clock = fakeClock();
    const store = new MemoryStore(clock.now);
    const a = new MemoryCoordinator({ cluster: 'c', ttlMs: 1000, store });
    await a.putMember({ name: 'db-1', address: 'x', role: 'replica', position: '', lagSeconds: null, healthy: true, version: '1', tags: [] });
    const controller = new AbortController();
    const events: WatchEvent[] = [];
    const watching = (async () => {
      for await (const event of a.watch('members/', controller.signal)) {
        events.push(event);
        controller.abort();
      }
    })();
    clock.advance(1000);
    store.sweep();
    await watching;
    expect(events.map((e) => `${e.type} ${e.key}`)).toEqual(['delete members/db-1']);
  });

  it('MemoryCoordinator_clustersSharingAStore_doNotSeeEachOther', async () => {
    const store = new MemoryStore();
    const a = new MemoryCoordinator({ cluster: 'one', ttlMs: 1000, store });
    const b = new MemoryCoordinator({ cluster: 'two', ttlMs: 1000, store });
    expect(await a.tryAcquireLeader(record('a'))).toBe(true);
    expect(await b.tryAcquireLeader(record('b'))).toBe(true);
    expect((await b.getLeader())?.member).toBe('b');
  });

  it('MemoryCoordinator_unavailableStore_throwsCoordinatorUnavailable', async () => {
    const store = new MemoryStore();
    const a = new MemoryCoordinator({ cluster: 'c', ttlMs: 1000, store });
    store.setAvailable(false);
    await expect(a.getLeader()).rejects.toBeInstanceOf(CoordinatorUnavailable);
    store.setAvailable(true);
    expect(await a.getLeader()).toBeNull();
  });

  it('MemoryCoordinator_keyEscapingThePrefix_isRejected', async () => {
    const a = new MemoryCoordinator({ cluster: 'c', ttlMs: 1000 });
    await expect(a.put('../other/leader', 'x')).rejects.toThrow(/must be relative/);
    expect(() => new MemoryCoordinator({ cluster: 'a/b', ttlMs: 1000 })).toThrow(/cluster name "a\/b"/);
  });
});
