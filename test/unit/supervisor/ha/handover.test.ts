import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../../common/logger.js';
import { handover } from '../../../../supervisor/ha/handover.js';
import { LeaseFencing } from '../../../../supervisor/ha/lease-fencing.js';
import { T0, TIMINGS, fakeClockStore, haMember, peer } from './ha-member.js';

/** db-1 is primary at 0-1-12 since T0; db-2 replicates at `position`; a switchover to db-2 is requested. */
async function handingOver(position: string) {
  const store = fakeClockStore();
  const db1 = haMember(store, 'db-1', { position: '0-1-12' });
  await db1.loop.cycle();
  const db2 = await peer(store, 'db-2', { position });
  await db1.coordinator.put('switchover', JSON.stringify({ from: 'db-1', to: 'db-2', at: new Date().toISOString() }));
  const fencing = new LeaseFencing(db1.recipe, db1.state, db1.processFence, TIMINGS, silentLogger());
  const run = { outcome: undefined as string | undefined };
  void handover({ coordinator: db1.coordinator, recipe: db1.recipe, state: db1.state, fencing, ...TIMINGS }, 'db-2', '0-1-12').then((o) => (run.outcome = o));
  await vi.advanceTimersByTimeAsync(0);
  return { db1, db2, run };
}

describe('handover', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('handover_targetCatchesUpHealthy_releasesTheLeaseToIt', async () => {
    const { db1, db2, run } = await handingOver('0-1-11');
    expect(db1.recipe.callsTo('fence')).toEqual([{ name: 'fence', atMs: T0 }]);
    await vi.advanceTimersByTimeAsync(1500);
    expect(run.outcome).toBeUndefined();
    // the lease is kept while waiting, so no other member can take it first
    expect(db1.state.lastRenewOkAtMs).toBe(T0 + 1000);
    expect((await db2.getLeader())?.member).toBe('db-1');
    const caughtUp = { name: 'db-2', address: 'db-2:3306', role: 'replica' as const, position: '0-1-12', lagSeconds: 0, healthy: false, version: 'test', tags: [] };
    await db2.putMember(caughtUp);
    await vi.advanceTimersByTimeAsync(200);
    expect(run.outcome).toBeUndefined();
    await db2.putMember({ ...caughtUp, healthy: true });
    await vi.advanceTimersByTimeAsync(50);
    expect(run.outcome).toBe('switchover: db-2 has everything up to 0-1-12; released the lease');
    expect(db1.state).toMatchObject({ role: 'replica', holdsLease: false });
    expect(db1.processFence.armedDeadlineMs()).toBeNull();
    expect(await db2.tryAcquireLeader({ member: 'db-2', address: 'db-2:3306', term: 2, since: '' })).toBe(true);
  });

  it('handover_targetNeverCatchesUp_abandonedAfterTheBoundStillHoldingTheLease', async () => {
    const { db1, db2, run } = await handingOver('0-1-11');
    // handoverBoundMs: min(switchoverTimeoutMs, 10 s)
    await vi.advanceTimersByTimeAsync(9999);
    expect(run.outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(run.outcome).toBe('switchover to db-2 abandoned: it did not reach 0-1-12 in time; staying primary');
    expect(await db2.get('switchover')).toBeNull();
    expect((await db2.getLeader())?.member).toBe('db-1');
    expect(db1.state.holdsLease).toBe(true);
    // still read-only: the loop's next renewal turns it writable again
    await db1.loop.cycle();
    expect(db1.recipe.callsTo('becomePrimary').at(-1)).toEqual({ name: 'becomePrimary', fenceAtMs: T0 + 10_000 + 8000, atMs: T0 + 10_000 });
  });

  it('handover_serverDoesNotConfirmReadOnly_abandonsAtOnce', async () => {
    const store = fakeClockStore();
    const db1 = haMember(store, 'db-1', { position: '0-1-12' });
    await db1.loop.cycle();
    await peer(store, 'db-2', { position: '0-1-12' });
    await db1.coordinator.put('switchover', JSON.stringify({ from: 'db-1', to: 'db-2', at: new Date().toISOString() }));
    db1.recipe.fenceConfirms = false;
    const fencing = new LeaseFencing(db1.recipe, db1.state, db1.processFence, TIMINGS, silentLogger());
    const outcome = await handover({ coordinator: db1.coordinator, recipe: db1.recipe, state: db1.state, fencing, ...TIMINGS }, 'db-2', '0-1-12');
    expect(outcome).toBe('switchover to db-2 abandoned: this server did not confirm it is read-only');
    expect(await db1.coordinator.get('switchover')).toBeNull();
    expect((await db1.coordinator.getLeader())?.member).toBe('db-1');
    expect(db1.processFence.armedDeadlineMs()).toBe(T0 + 9000);
  });
});
