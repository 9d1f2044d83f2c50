import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CoordinatorUnavailable } from '../../../../common/errors.js';
import { REBOOTSTRAP_LIMIT } from '../../../../supervisor/ha/ha-loop.js';
import { CLUSTER, T0, endLeaderSession, fakeClockStore, haMember, peer } from './ha-member.js';

// With TIMINGS (ha-member.ts): a renewal at t fences at t + 8000 and arms the process fence for t + 9000.
const DIVERGED = "Got fatal error 1236 from master: 'connecting slave requested to start from GTID 0-1-11, which is not in the master's binlog'";

/** One loop wait later, one cycle. */
async function nextCycle(member: ReturnType<typeof haMember>): Promise<void> {
  await vi.advanceTimersByTimeAsync(1000);
  await member.loop.cycle();
}

/** db-1, alone in the cluster, took the lease at T0 and is a writable primary. */
async function primary(store = fakeClockStore()) {
  const db1 = haMember(store, 'db-1');
  await db1.loop.cycle();
  expect(db1.state).toMatchObject({ role: 'primary', holdsLease: true, lastRenewOkAtMs: T0 });
  return { store, db1 };
}

describe('HaLoop', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('HaLoop_holderRenews_extendsTheFenceAndArmsTheProcessFence', async () => {
    const { db1 } = await primary();
    expect(db1.recipe.callsTo('becomePrimary')).toEqual([{ name: 'becomePrimary', fenceAtMs: T0 + 8000, atMs: T0 }]);
    await nextCycle(db1);
    await nextCycle(db1);
    expect(db1.recipe.callsTo('extendFence')).toEqual([
      { name: 'extendFence', fenceAtMs: T0 + 9000, atMs: T0 + 1000 },
      { name: 'extendFence', fenceAtMs: T0 + 10_000, atMs: T0 + 2000 },
    ]);
    expect(db1.processFence.events).toEqual([0, 1000, 2000].map((at) => ({ kind: 'arm', pid: 4242, deadlineMs: T0 + at + 9000, atMs: T0 + at })));
    expect(db1.state).toMatchObject({ role: 'primary', holdsLease: true, leaseRenewals: 2, lastRenewOkAtMs: T0 + 2000, lastDecision: 'holding the lease as primary' });
    expect(await db1.coordinator.getLeader()).toMatchObject({ member: 'db-1', term: 1 });
    expect(await db1.coordinator.listMembers()).toMatchObject([{ name: 'db-1', role: 'primary', healthy: true }]);
    expect(db1.recipe.callsTo('fence')).toEqual([]);
  });

  it('HaLoop_leaseTakenByAnotherMember_fencesThenFollows', async () => {
    const { store, db1 } = await primary();
    endLeaderSession(store);
    const db2 = await peer(store, 'db-2', { role: 'primary' });
    expect(await db2.tryAcquireLeader({ member: 'db-2', address: 'db-2:3306', term: 2, since: '' })).toBe(true);
    await nextCycle(db1);
    expect(db1.recipe.callsTo('fence')).toEqual([{ name: 'fence', atMs: T0 + 1000 }]);
    expect(db1.state).toMatchObject({ role: 'replica', holdsLease: false, lastDecision: 'lease now held by db-2; turning read-only' });
    expect(db1.processFence.armedDeadlineMs()).toBeNull();
    await nextCycle(db1);
    expect(db1.recipe.callsTo('followPrimary')).toEqual([{ name: 'followPrimary', address: 'db-2:3306', atMs: T0 + 2000 }]);
    expect(db1.recipe.callsTo('extendFence')).toEqual([]);
    expect(db1.state.role).toBe('replica');
  });

  it('HaLoop_renewalHangs_leaseFencingFencesAtTtlMinusSafetyMargin', async () => {
    const { db1 } = await primary();
    await nextCycle(db1);
    vi.spyOn(db1.coordinator, 'renewLeader').mockImplementation(() => new Promise<boolean>(() => undefined));
    await vi.advanceTimersByTimeAsync(1000);
    void db1.loop.cycle();
    // renewed last at T0 + 1000: fences at T0 + 9000, while the cycle still waits for the store
    await vi.advanceTimersByTimeAsync(6999);
    expect(db1.recipe.callsTo('fence')).toEqual([]);
    expect(db1.state.holdsLease).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(db1.recipe.callsTo('fence')).toEqual([{ name: 'fence', atMs: T0 + 9000 }]);
    expect(db1.state).toMatchObject({ role: 'replica', holdsLease: false });
    expect(db1.processFence.events.at(-1)).toEqual({ kind: 'disarm', atMs: T0 + 9000 });
  });

  it('HaLoop_renewalFailsWhileReadsSucceed_fencesAtTheDeadlineNotBefore', async () => {
    const db1 = haMember(fakeClockStore(), 'db-1');
    db1.loop.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(db1.state.holdsLease).toBe(true);
    vi.spyOn(db1.coordinator, 'renewLeader').mockRejectedValue(new CoordinatorUnavailable('etcd renew: timed out after 1000ms'));
    await vi.advanceTimersByTimeAsync(7999);
    expect(db1.state.haCycles).toBe(8);
    expect(db1.state.lastDecision).toBe('holding the lease as primary; failed: etcd renew: timed out after 1000ms');
    expect(db1.recipe.callsTo('fence')).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(db1.recipe.callsTo('fence')).toEqual([{ name: 'fence', atMs: T0 + 8000 }]);
    expect(db1.state).toMatchObject({ role: 'replica', holdsLease: false });
    await db1.loop.stop();
    const cycles = db1.state.haCycles;
    await vi.advanceTimersByTimeAsync(5000);
    expect(db1.state.haCycles).toBe(cycles);
  });

  it('HaLoop_storeUnreachableWhilePrimary_fencesOnlyOnceTheDeadlinePassed', async () => {
    const { store, db1 } = await primary();
    store.setAvailable(false);
    for (let i = 1; i <= 7; i++) await nextCycle(db1);
    expect(db1.state).toMatchObject({ role: 'primary', holdsLease: true, coordinatorReachable: false });
    expect(db1.recipe.callsTo('fence')).toEqual([]);
    // the clock jumps past the deadline before the fencing timer ran (setSystemTime shifts pending
    // timers): the cycle itself sees the deadline passed
    vi.setSystemTime(T0 + 8000);
    await db1.loop.cycle();
    expect(db1.recipe.callsTo('fence')).toEqual([{ name: 'fence', atMs: T0 + 8000 }]);
    expect(db1.state).toMatchObject({ role: 'replica', holdsLease: false });
    await vi.advanceTimersByTimeAsync(2000);
    await db1.loop.cycle();
    expect(db1.recipe.callsTo('fence')).toHaveLength(1);
  });

  it('HaLoop_databaseDownLongerThanBound_releasesTheLease', async () => {
    const { db1 } = await primary();
    db1.recipe.script({ alive: false, writable: false });
    // first seen down at T0 + 1000; the bound (5000 ms) is exceeded at T0 + 7000
    for (let i = 1; i <= 6; i++) await nextCycle(db1);
    expect(db1.state).toMatchObject({ holdsLease: true, lastDecision: 'database is down; holding the lease while it restarts' });
    expect((await db1.coordinator.getLeader())?.member).toBe('db-1');
    expect(db1.processFence.armedDeadlineMs()).toBe(T0 + 6000 + 9000);
    await nextCycle(db1);
    expect(db1.state).toMatchObject({ role: 'replica', holdsLease: false, lastDecision: 'database down for more than 5000ms; gave the lease up' });
    expect(await db1.coordinator.getLeader()).toBeNull();
    expect(db1.processFence.armedDeadlineMs()).toBeNull();
    expect(db1.recipe.callsTo('becomePrimary')).toHaveLength(1);
  });

  it('HaLoop_databaseBackWithinBound_keepsTheLeaseAndTurnsWritableAgain', async () => {
    const { store, db1 } = await primary();
    await peer(store, 'db-2', { position: '0-1-10' });
    db1.recipe.script({ alive: false, writable: false });
    for (let i = 1; i <= 6; i++) await nextCycle(db1);
    db1.recipe.script({ alive: true });
    await nextCycle(db1);
    expect(db1.state).toMatchObject({ role: 'primary', holdsLease: true, lastDecision: 'holding the lease as primary' });
    expect(db1.recipe.callsTo('becomePrimary').at(-1)).toEqual({ name: 'becomePrimary', fenceAtMs: T0 + 7000 + 8000, atMs: T0 + 7000 });
    expect((await db1.coordinator.getLeader())?.member).toBe('db-1');
  });

  it('HaLoop_restartedHolderBehindAMember_releasesInsteadOfBecomingPrimary', async () => {
    const { store, db1 } = await primary();
    await peer(store, 'db-2', { position: '0-1-12' });
    // the server restarted read-only; crash recovery dropped what only db-2 received
    db1.recipe.script({ writable: false, position: '0-1-10' });
    await nextCycle(db1);
    expect(db1.state).toMatchObject({ role: 'replica', holdsLease: false, lastDecision: 'db-2 is ahead of this server (0-1-12 > 0-1-10); gave the lease up' });
    expect(db1.recipe.callsTo('becomePrimary')).toHaveLength(1);
    expect(await db1.coordinator.getLeader()).toBeNull();
    expect(db1.processFence.armedDeadlineMs()).toBeNull();
  });

  it('HaLoop_rebootstrapKeepsFailing_stopsAfterTheLimitUntilAHealthyCycle', async () => {
    const store = fakeClockStore();
    const db2 = await peer(store, 'db-2', { role: 'primary', position: '0-1-12' });
    await db2.tryAcquireLeader({ member: 'db-2', address: 'db-2:3306', term: 1, since: '' });
    const db1 = haMember(store, 'db-1', { position: '0-1-10', replicationError: DIVERGED });
    await db1.loop.cycle();
    await nextCycle(db1);
    expect(db1.rebootstraps).toBe(REBOOTSTRAP_LIMIT);
    expect(REBOOTSTRAP_LIMIT).toBe(2);
    await nextCycle(db1);
    await nextCycle(db1);
    expect(db1.rebootstraps).toBe(2);
    expect(db1.state.lastDecision).toMatch(/re-bootstrapping from a backup; not again after 2 attempts: needs an operator$/);
    db1.recipe.script({ replicationError: null, replicating: true, source: 'db-2:3306' });
    await nextCycle(db1);
    expect(db1.state.lastDecision).toMatch(/^following db-2/);
    db1.recipe.script({ replicationError: DIVERGED, replicating: false });
    await nextCycle(db1);
    expect(db1.rebootstraps).toBe(3);
    expect(db1.state.lastDecision).toMatch(/; done$/);
  });

  it('HaLoop_switchoverRequested_targetTakesOverAndOldPrimaryFollows', async () => {
    const store = fakeClockStore();
    const db1 = haMember(store, 'db-1');
    const db2 = haMember(store, 'db-2');
    await db1.loop.cycle();
    await db2.loop.cycle();
    await vi.advanceTimersByTimeAsync(1000);
    await db1.loop.cycle();
    await db2.loop.cycle();
    expect(await db1.coordinator.listMembers()).toMatchObject([{ name: 'db-1', role: 'primary' }, { name: 'db-2', role: 'replica', healthy: true }]);
    await db1.coordinator.put('switchover', JSON.stringify({ from: 'db-1', to: 'db-2', at: new Date().toISOString() }));
    await vi.advanceTimersByTimeAsync(1000);
    await db1.loop.cycle();
    expect(db1.state).toMatchObject({ role: 'replica', holdsLease: false, lastDecision: 'switchover: db-2 has everything up to 0-1-10; released the lease' });
    expect(db1.recipe.callsTo('fence')).toEqual([{ name: 'fence', atMs: T0 + 2000 }]);
    await db2.loop.cycle();
    expect(db2.state).toMatchObject({ role: 'primary', holdsLease: true });
    expect(await db2.coordinator.getLeader()).toMatchObject({ member: 'db-2', term: 2 });
    expect(await db2.coordinator.get('switchover')).toBeNull();
    await nextCycle(db1);
    expect(db1.recipe.callsTo('followPrimary').at(-1)).toMatchObject({ address: 'db-2:3306' });
    expect(store.keys.has(`pilotfish/${CLUSTER}/switchover`)).toBe(false);
  });
});
