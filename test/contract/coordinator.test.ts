import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoordinatorUnavailable } from '../../common/errors.js';
import type { Coordinator, LeaderRecord, MemberRecord, WatchEvent } from '../../coordination/coordinator.js';
import { waitFor } from '../support/wait.js';
import { type Backend, type MakeOptions, SUBJECTS, type Subject } from './coordinator-subjects.js';

/**
 * One contract for every Coordinator adapter (issue #2, acceptance 2): real etcd, Consul (the
 * double, or `consul agent -dev` when on PATH) and memory. Each test uses its own cluster name, so
 * the tests of one store run concurrently against one store process; outage tests start their own.
 */

const leader = (member: string, term = 1): LeaderRecord => ({ member, address: `${member}:3306`, term, since: new Date().toISOString() });
const member = (name: string): MemberRecord => ({
  name,
  address: `${name}:3306`,
  role: 'replica',
  position: '0-1-1',
  lagSeconds: 0,
  healthy: true,
  version: '10.11',
  tags: [],
});

let clusterSeq = 0;
const newCluster = () => `t${process.pid}-${Date.now().toString(36)}-${++clusterSeq}`;

/** Runs `fn` and returns how long it took to reject, with the rejection. */
async function timedFailure(fn: () => Promise<unknown>): Promise<{ ms: number; err: unknown }> {
  const started = Date.now();
  try {
    await fn();
  } catch (err) {
    return { ms: Date.now() - started, err };
  }
  return { ms: Date.now() - started, err: undefined };
}

function suite(subject: Subject) {
  const { kind } = subject;
  let backend: Backend;
  const opened: Coordinator[] = [];
  const make = (options: MakeOptions, from: Backend = backend) => {
    const coordinator = from.make(options);
    opened.push(coordinator);
    return coordinator;
  };

  beforeAll(async () => {
    backend = await subject.start();
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
    await backend?.stop();
  });

  it(`Coordinator_tryAcquireLeader_exactlyOneOfFiveWinsIn20Rounds_${kind}`, async () => {
    const cluster = newCluster();
    const contenders = Array.from({ length: 5 }, (_, i) => make({ cluster, member: `m${i}` }));
    for (let round = 0; round < 20; round++) {
      const results = await Promise.all(contenders.map((c, i) => c.tryAcquireLeader(leader(`m${i}`, round))));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await contenders[0]?.getLeader())?.member).toBe(`m${winner}`);
      await contenders[winner]?.releaseLeader();
    }
    expect(await contenders[0]?.getLeader()).toBeNull();
  });

  it(`Coordinator_renewAndRelease_holderKeepsOthersOut_${kind}`, async () => {
    const cluster = newCluster();
    const [a, b] = [make({ cluster }), make({ cluster })] as [Coordinator, Coordinator];
    expect(await a.keepAlive()).toBe(true);
    expect(await a.tryAcquireLeader(leader('a'))).toBe(true);
    expect(await a.tryAcquireLeader(leader('a'))).toBe(true);
    expect(await a.renewLeader(leader('a', 2))).toBe(true);
    expect((await b.getLeader())?.term).toBe(2);
    expect(await b.tryAcquireLeader(leader('b'))).toBe(false);
    expect(await b.renewLeader(leader('b'))).toBe(false);
    await b.releaseLeader();
    expect((await a.getLeader())?.member).toBe('a');
    await a.releaseLeader();
    await a.releaseLeader();
    expect(await a.getLeader()).toBeNull();
    expect(await a.renewLeader()).toBe(false);
    expect(await b.tryAcquireLeader(leader('b'))).toBe(true);
    expect(await b.renewLeader()).toBe(true);
  });

  it(`Coordinator_tryLock_isExclusiveUntilUnlocked_${kind}`, async () => {
    const cluster = newCluster();
    const [a, b] = [make({ cluster }), make({ cluster })] as [Coordinator, Coordinator];
    expect(await a.tryLock('backups/lock', '{"member":"a"}')).toBe(true);
    expect(await b.tryLock('backups/lock', '{"member":"b"}')).toBe(false);
    await b.unlock('backups/lock');
    expect((await b.get('backups/lock'))?.value).toBe('{"member":"a"}');
    await a.unlock('backups/lock');
    expect(await b.tryLock('backups/lock', '{"member":"b"}')).toBe(true);
  });

  it(`Coordinator_leaseExpiry_freesLeaderAndLockWithinBound_${kind}`, async () => {
    const cluster = newCluster();
    const holder = make({ cluster, ttlMs: subject.expiryTtlMs });
    const contender = make({ cluster, ttlMs: subject.expiryTtlMs });
    expect(await holder.keepAlive()).toBe(true);
    const renewedAt = Date.now();
    expect(await holder.tryAcquireLeader(leader('holder'))).toBe(true);
    expect(await holder.tryLock('backups/lock', 'holder')).toBe(true);
    expect(await contender.tryAcquireLeader(leader('contender'))).toBe(false);
    const boundMs = subject.expiryBoundMs + backend.expirySlackMs;
    await waitFor('contender to acquire the expired lease', () => contender.tryAcquireLeader(leader('contender')), {
      timeoutMs: boundMs + 1000,
      intervalMs: 100,
    });
    const tookMs = Date.now() - renewedAt;
    expect(tookMs).toBeGreaterThanOrEqual(subject.expiryTtlMs - 1000);
    expect(tookMs).toBeLessThanOrEqual(boundMs);
    expect(await contender.tryLock('backups/lock', 'contender')).toBe(true);
    expect(await holder.keepAlive()).toBe(false);
    expect(await holder.renewLeader()).toBe(false);
  });

  it(`Coordinator_memberEntries_vanishWithTheirLease_${kind}`, async () => {
    const cluster = newCluster();
    const mortal = make({ cluster, ttlMs: subject.expiryTtlMs });
    const survivor = make({ cluster, ttlMs: subject.expiryTtlMs });
    await mortal.putMember(member('db-2'));
    await survivor.putMember(member('db-1'));
    expect((await survivor.listMembers()).map((m) => m.name)).toEqual(['db-1', 'db-2']);
    const started = Date.now();
    await waitFor(
      'the unrenewed member entry to vanish',
      async () => {
        expect(await survivor.keepAlive()).toBe(true);
        return (await survivor.listMembers()).map((m) => m.name).join() === 'db-1';
      },
      { timeoutMs: subject.expiryBoundMs + backend.expirySlackMs + 1000, intervalMs: 250 },
    );
    expect(Date.now() - started).toBeLessThanOrEqual(subject.expiryBoundMs + backend.expirySlackMs);
    await survivor.deleteMember('db-1');
    await survivor.deleteMember('db-1');
    expect(await survivor.listMembers()).toEqual([]);
  });

  it(`Coordinator_close_releasesLeaderAndMemberAtOnce_${kind}`, async () => {
    const cluster = newCluster();
    const holder = make({ cluster });
    const other = make({ cluster });
    expect(await holder.tryAcquireLeader(leader('holder'))).toBe(true);
    await holder.putMember(member('holder'));
    await holder.close();
    await holder.close();
    expect(await other.listMembers()).toEqual([]);
    expect(await other.getLeader()).toBeNull();
    await waitFor('the released leader key to be acquirable', () => other.tryAcquireLeader(leader('other')), {
      timeoutMs: subject.releaseDelayMs,
    });
  });

  it(`Coordinator_cas_conflictsReturnFalse_${kind}`, async () => {
    const cluster = newCluster();
    const [a, b] = [make({ cluster }), make({ cluster })] as [Coordinator, Coordinator];
    expect(await a.get('switchover')).toBeNull();
    expect(await a.cas('switchover', 'v1', null)).toBe(true);
    expect(await b.cas('switchover', 'other', null)).toBe(false);
    const v1 = await b.get('switchover');
    expect(v1?.value).toBe('v1');
    expect(await b.cas('switchover', 'v2', v1?.revision ?? null)).toBe(true);
    expect(await a.cas('switchover', 'stale', v1?.revision ?? null)).toBe(false);
    expect((await a.get('switchover'))?.value).toBe('v2');
    await a.put('backups/latest', '{"id":"x"}');
    expect((await b.get('backups/latest'))?.value).toBe('{"id":"x"}');
    await a.delete('switchover');
    await a.delete('switchover');
    expect(await b.get('switchover')).toBeNull();
  });

  it(`Coordinator_initialized_isCreatedExactlyOnce_${kind}`, async () => {
    const cluster = newCluster();
    const racers = Array.from({ length: 5 }, () => make({ cluster }));
    const results = await Promise.all(racers.map((c, i) => c.cas('initialized', JSON.stringify({ by: `m${i}` }), null)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(JSON.parse((await racers[0]?.get('initialized'))?.value ?? '{}')).toEqual({ by: `m${winner}` });
    const again = await Promise.all(racers.map((c) => c.cas('initialized', '{"by":"late"}', null)));
    expect(again.some(Boolean)).toBe(false);
  });

  it(`Coordinator_watch_deliversChangesInOrderAndStopsOnAbort_${kind}`, async () => {
    const cluster = newCluster();
    const c = make({ cluster });
    await c.put('outside', 'x');
    await c.put('w/seed', '0');
    const seed = await c.get('w/seed');
    await c.put('w/early', '1');
    const controller = new AbortController();
    const seen: WatchEvent[] = [];
    const consumer = (async () => {
      for await (const event of c.watch('w/', controller.signal, seed?.revision)) seen.push(event);
    })();
    await waitFor('replay after the given revision', () => seen.some((e) => e.key === 'w/early'));
    const steps: Array<[() => Promise<void>, string, WatchEvent['type']]> = [
      [() => c.put('w/a', 'A'), 'w/a', 'put'],
      [() => c.put('outside', 'y'), '', 'put'],
      [() => c.put('w/b', 'B'), 'w/b', 'put'],
      [() => c.delete('w/a'), 'w/a', 'delete'],
      [() => c.put('w/b', 'B2'), 'w/b', 'put'],
    ];
    for (const [step, key, type] of steps) {
      const before = seen.length;
      await step();
      if (key !== '') await waitFor(`${type} of ${key}`, () => seen.length > before && seen.at(-1)?.key === key && seen.at(-1)?.type === type);
    }
    expect(seen.map((e) => `${e.type} ${e.key} ${e.value}`)).toEqual([
      'put w/early 1',
      'put w/a A',
      'put w/b B',
      'delete w/a null',
      'put w/b B2',
    ]);
    const revisions = seen.map((e) => Number(e.revision));
    expect([...revisions].sort((x, y) => x - y)).toEqual(revisions);
    controller.abort();
    await consumer;
    await c.put('w/after', 'late');
    expect(seen).toHaveLength(5);
  });

  it(`Coordinator_serviceRegistration_followsTagsAndHealth_${kind}`, async () => {
    const c = make({ cluster: newCluster() });
    const service = { id: 'db-1', name: `svc-${clusterSeq}`, address: '127.0.0.1', port: 3306, tags: ['replica'], checkTtlMs: 15_000 };
    await c.registerService(service);
    await c.updateService('db-1', ['primary'], true, 'holding the lock');
    if (backend.passingWithTag) expect(await backend.passingWithTag(service.name, 'primary')).toEqual(['db-1']);
    await c.updateService('db-1', ['replica'], false, 'demoted');
    if (backend.passingWithTag) expect(await backend.passingWithTag(service.name, 'primary')).toEqual([]);
    await c.deregisterService('db-1');
    await c.deregisterService('db-1');
  });

  it(`Coordinator_storePaused_callsFailWithinTimeoutAndRecover_${kind}`, async () => {
    const own = await subject.start();
    try {
      const timeoutMs = 1000;
      const c = make({ cluster: newCluster(), timeoutMs }, own);
      expect(await c.keepAlive()).toBe(true);
      expect(await c.tryAcquireLeader(leader('c'))).toBe(true);
      const controller = new AbortController();
      const watchEnded = timedFailure(async () => {
        for await (const _event of c.watch('', controller.signal)) {
          // any event is fine; the watch must end with an error once the store is gone
        }
      });
      own.pause();
      const calls: Array<() => Promise<unknown>> = [
        () => c.keepAlive(),
        () => c.getLeader(),
        () => c.renewLeader(leader('c', 2)),
        () => c.tryAcquireLeader(leader('c')),
        () => c.listMembers(),
        () => c.put('k', 'v'),
        () => c.cas('initialized', 'x', null),
      ];
      const failures = await Promise.all(calls.map((call) => timedFailure(call)));
      for (const { ms, err } of failures) {
        expect(err).toBeInstanceOf(CoordinatorUnavailable);
        expect(ms).toBeLessThan(timeoutMs + 500);
      }
      const watch = await watchEnded;
      expect(watch.err).toBeInstanceOf(CoordinatorUnavailable);
      // A watch notices within its probe interval plus one bounded call (Consul: one blocking query).
      expect(watch.ms).toBeLessThan(3 * timeoutMs + 1500);
      own.resume();
      await waitFor('calls to work again after resume', async () => (await c.getLeader(), true), { timeoutMs: 10_000 });
      await c.keepAlive();
      expect(typeof (await c.tryAcquireLeader(leader('c')))).toBe('boolean');
      await c.close();
    } finally {
      own.resume();
      await own.stop();
    }
  });
}

describe.concurrent('Coordinator contract', () => {
  for (const subject of SUBJECTS) describe.concurrent(subject.kind, () => suite(subject));
});
