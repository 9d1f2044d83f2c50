import { describe, expect, test } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { StoreSession, type SessionBackend } from '../../../coordination/store-session.js';

class Gone extends Error {}

/** A store that knows the ids it created until the test expires them. */
function fakeStore() {
  let next = 1;
  const alive = new Set<string>();
  const backend: SessionBackend<null> = {
    noun: 'test lease',
    create: async () => {
      const id = `id-${next++}`;
      alive.add(id);
      return id;
    },
    renew: async (id) => alive.has(id),
    isGone: (err) => err instanceof Gone,
    destroy: async (id) => {
      alive.delete(id);
    },
  };
  return { backend, alive, bound: (id: string) => (alive.has(id) ? Promise.resolve(id) : Promise.reject(new Gone())) };
}

describe('StoreSession', () => {
  test('StoreSession_firstKeepAlive_createsAndReportsAlive', async () => {
    const store = fakeStore();
    const session = new StoreSession(store.backend, silentLogger());
    expect(await session.keepAlive(null)).toBe(true);
    expect(session.current).toBe('id-1');
    expect(await session.keepAlive(null)).toBe(true);
  });

  test('StoreSession_expired_nextKeepAliveReportsTheLapseOnceWithANewId', async () => {
    const store = fakeStore();
    const session = new StoreSession(store.backend, silentLogger());
    await session.keepAlive(null);
    store.alive.clear();
    expect(await session.keepAlive(null)).toBe(false);
    expect(session.current).toBe('id-2');
    expect(await session.keepAlive(null)).toBe(true);
  });

  test('StoreSession_boundCallFindsIdGone_retriesOnceWithNewIdAndKeepAliveStillReportsTheLapse', async () => {
    const store = fakeStore();
    const session = new StoreSession(store.backend, silentLogger());
    await session.keepAlive(null);
    store.alive.clear();
    expect(await session.bound(null, store.bound)).toBe('id-2');
    // Keys bound to id-1 are gone: the supervisor must hear about it even though id-2 is held.
    expect(await session.keepAlive(null)).toBe(false);
    expect(await session.keepAlive(null)).toBe(true);
  });

  test('StoreSession_close_destroysTheIdAndRenewThenFails', async () => {
    const store = fakeStore();
    const session = new StoreSession(store.backend, silentLogger());
    await session.keepAlive(null);
    await session.close((fn) => fn(null));
    expect(store.alive.size).toBe(0);
    expect(session.current).toBeNull();
    expect(await session.renew(null)).toBe(false);
  });
});
