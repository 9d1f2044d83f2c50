import { describe, expect, it } from 'vitest';
import type { RecipeHealth } from '../../../../recipes/recipe.js';
import { comparePositions, historyDiverged } from '../../../../recipes/mysql/gtid.js';
import type { MemberRecord } from '../../../../coordination/coordinator.js';
import { decide, memberAhead, type DecideOptions, type SelfState } from '../../../../supervisor/ha/decide.js';
import type { ClusterSnapshot } from '../../../../supervisor/ha/snapshot.js';

const NOW = Date.parse('2026-11-23T18:00:00Z');
const options: DecideOptions = { maxLagOnFailoverMs: 10_000, candidateTimeoutMs: 10_000, switchoverTimeoutMs: 30_000, primaryDownBoundMs: 15_000, nowMs: NOW, comparePositions, historyDiverged };

const health = (over: Partial<RecipeHealth> = {}): RecipeHealth => ({
  alive: true, writable: false, replicating: false, source: null, position: '0-1-10', lagSeconds: null, replicationError: null, ...over,
});
const self = (over: Partial<SelfState> = {}): SelfState => ({ name: 'db-2', tags: [], priority: 0, health: health(), holdsLease: false, noLeaderForMs: 0, downForMs: 0, ...over });
const member = (name: string, over: Partial<MemberRecord> = {}): MemberRecord => ({
  name, address: `127.0.0.1:${name.slice(-1)}`, role: 'replica', position: '0-1-10', lagSeconds: 0, healthy: true, version: '0', tags: [], ...over,
});
const snapshot = (over: Partial<ClusterSnapshot> = {}): ClusterSnapshot => ({
  leader: null, members: [], initialized: { by: 'db-1', at: '' }, latestBackup: null, backupRequested: null, switchover: null, readAtMs: NOW, ...over,
});
const leader = (name: string) => ({ member: name, address: `127.0.0.1:${name.slice(-1)}`, term: 3, since: '' });

describe('decide', () => {
  it('decide_leaseHolder_renews', () => {
    expect(decide(snapshot({ leader: leader('db-2') }), self(), options).kind).toBe('renew');
  });

  it('decide_leaseTakenWhileWritable_fences', () => {
    const d = decide(snapshot({ leader: leader('db-1') }), self({ holdsLease: true, health: health({ writable: true }) }), options);
    expect(d).toMatchObject({ kind: 'fence' });
  });

  it('decide_leaderElsewhere_follows', () => {
    const d = decide(snapshot({ leader: leader('db-1'), members: [member('db-1', { role: 'primary' })] }), self(), options);
    expect(d).toMatchObject({ kind: 'follow', leader: 'db-1', address: '127.0.0.1:1' });
  });

  it('decide_noLeader_mostAdvancedAcquiresOthersWait', () => {
    const members = [member('db-1', { position: '0-1-12' }), member('db-2', { position: '0-1-10' })];
    expect(decide(snapshot({ members }), self({ health: health({ position: '0-1-10' }) }), options)).toMatchObject({ kind: 'wait' });
    expect(decide(snapshot({ members }), self({ name: 'db-1', health: health({ position: '0-1-12' }) }), options).kind).toBe('acquire');
  });

  it('decide_noLeaderEqualPositions_priorityThenNameBreaksTies', () => {
    const members = [member('db-1'), member('db-3', { priority: 5 })];
    expect(decide(snapshot({ members }), self(), options).kind).toBe('wait');
    expect(decide(snapshot({ members: [member('db-3')] }), self(), options).kind).toBe('acquire');
  });

  it('decide_betterCandidateSilentTooLong_nextOneMayAcquire', () => {
    const members = [member('db-1', { position: '0-1-12' })];
    expect(decide(snapshot({ members }), self({ noLeaderForMs: 11_000 }), options).kind).toBe('acquire');
  });

  it('decide_noFailoverTagOrLagging_neverAcquires', () => {
    expect(decide(snapshot(), self({ tags: ['nofailover'] }), options).kind).toBe('wait');
    expect(decide(snapshot(), self({ health: health({ lagSeconds: 60 }) }), options).kind).toBe('wait');
  });

  it('decide_sourceRefusesHistory_rebootstraps', () => {
    const error = "Got fatal error 1236 from master: 'Error: connecting slave requested to start from GTID 0-2-11, which is not in the master's binlog'";
    const d = decide(snapshot({ leader: leader('db-1'), members: [member('db-1')] }), self({ health: health({ replicationError: error }) }), options);
    expect(d.kind).toBe('rebootstrap');
  });

  it('decide_sourceRefusesHistoryButIsBehind_waitsInsteadOfRebootstrapping', () => {
    const error = "Got fatal error 1236 from master: 'Error: connecting slave requested to start from GTID 0-2-11, which is not in the master's binlog'";
    const members = [member('db-1', { position: '0-1-10' })];
    const d = decide(snapshot({ leader: leader('db-1'), members }), self({ health: health({ position: '0-1-11', replicationError: error }) }), options);
    expect(d.kind).toBe('wait');
  });

  it('memberAhead_restartedPrimaryBehindAReplica_namesThatReplica', () => {
    const members = [member('db-1', { position: '0-1-10' }), member('db-2', { position: '0-1-12' }), member('db-3', { position: '0-1-11' })];
    expect(memberAhead(snapshot({ members }), 'db-1', '0-1-11', comparePositions)?.name).toBe('db-2');
    expect(memberAhead(snapshot({ members }), 'db-2', '0-1-12', comparePositions)).toBeUndefined();
  });

  it('decide_switchover_primaryHandsOverAndOnlyTargetAcquires', () => {
    const switchover = { from: 'db-1', to: 'db-3', at: new Date(NOW - 1000).toISOString() };
    expect(decide(snapshot({ leader: leader('db-1'), switchover }), self({ name: 'db-1', holdsLease: true }), options)).toMatchObject({ kind: 'handover', to: 'db-3' });
    const members = [member('db-2', { priority: 9 }), member('db-3')];
    expect(decide(snapshot({ members, switchover }), self({ name: 'db-3' }), options).kind).toBe('acquire');
    expect(decide(snapshot({ members, switchover }), self({ name: 'db-2', priority: 9 }), options).kind).toBe('wait');
  });

  it('decide_databaseDown_holdsLeaseOrWaits', () => {
    expect(decide(snapshot({ leader: leader('db-2') }), self({ health: health({ alive: false }) }), options).kind).toBe('renew');
    expect(decide(snapshot(), self({ health: health({ alive: false }) }), options).kind).toBe('wait');
  });

  it('decide_holderDownLongerThanBound_releases', () => {
    const down = health({ alive: false });
    const held = snapshot({ leader: leader('db-2') });
    expect(decide(held, self({ health: down, downForMs: 15_000 }), options).kind).toBe('renew');
    expect(decide(held, self({ health: down, downForMs: 15_001 }), options)).toMatchObject({ kind: 'release', reason: 'database down for more than 15000ms' });
    // a member without the lease has nothing to give up, however long it is down
    expect(decide(snapshot({ leader: leader('db-1') }), self({ health: down, downForMs: 60_000 }), options).kind).toBe('wait');
  });

  it('decide_restartedHolderBehindAMember_releases', () => {
    const members = [member('db-1', { position: '0-1-12' }), member('db-3', { position: '0-1-9' })];
    const held = snapshot({ leader: leader('db-2'), members });
    const d = decide(held, self({ holdsLease: true, health: health({ position: '0-1-11' }) }), options);
    expect(d).toMatchObject({ kind: 'release', reason: 'db-1 is ahead of this server (0-1-12 > 0-1-11)' });
    expect(decide(held, self({ holdsLease: true, health: health({ position: '0-1-12' }) }), options).kind).toBe('renew');
  });

  it('decide_writableHolderBehindAPublishedPosition_renews', () => {
    // a writable primary took every write since it became primary: the other position is stale or diverged
    const held = snapshot({ leader: leader('db-2'), members: [member('db-1', { position: '0-1-12' })] });
    expect(decide(held, self({ holdsLease: true, health: health({ writable: true, position: '0-1-11' }) }), options).kind).toBe('renew');
  });

  it('decide_restartedHolderWithSwitchover_handsOverBeforeComparing', () => {
    const switchover = { from: 'db-2', to: 'db-3', at: new Date(NOW - 1000).toISOString() };
    const held = snapshot({ leader: leader('db-2'), members: [member('db-1', { position: '0-1-12' })], switchover });
    expect(decide(held, self({ holdsLease: true, health: health({ position: '0-1-11' }) }), options)).toMatchObject({ kind: 'handover', to: 'db-3' });
  });
});
