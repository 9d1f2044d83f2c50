import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../../common/logger.js';
import type { RestoreFn } from '../../../../recipes/recipe.js';
import { LATEST_BACKUP, writeKey } from '../../../../supervisor/cluster-keys.js';
import { HaLoop } from '../../../../supervisor/ha/ha-loop.js';
import { initialMemberState } from '../../../../supervisor/member-state.js';
import { MemoryCoordinator } from '../../../../coordination/memory.js';
import { RecordingProcessFence } from '../../../support/recording-process-fence.js';
import { ScriptedRecipe } from '../../../support/scripted-recipe.js';
import { CLUSTER, T0, TIMINGS, fakeClockStore, peer } from './ha-member.js';

/** A recipe whose members follow the backups (as the directory recipe): positions are backup ids. */
class FollowingRecipe extends ScriptedRecipe {
  readonly caughtUp: string[] = [];
  readonly order: string[] = [];

  override comparePositions(a: string, b: string): number {
    return a === b ? 0 : a < b ? -1 : 1;
  }

  async catchUp(latest: { id: string; position: string }, restore: RestoreFn): Promise<void> {
    const restored = await restore('/data', new AbortController().signal, { replace: true });
    this.caughtUp.push(latest.id);
    this.order.push(`catchUp ${latest.id}`);
    this.script({ position: restored.position });
  }

  override async becomePrimary(fenceAtMs: number): Promise<void> {
    this.order.push('becomePrimary');
    await super.becomePrimary(fenceAtMs);
  }
}

function member(store: ReturnType<typeof fakeClockStore>, newestInStore: string | null) {
  const coordinator = new MemoryCoordinator({ cluster: CLUSTER, ttlMs: TIMINGS.ttlMs, store });
  const recipe = new FollowingRecipe({ position: 'b1', replicating: false });
  const state = { ...initialMemberState(), phase: 'running' as const };
  const loop = new HaLoop({
    coordinator,
    recipe,
    state,
    self: { name: 'app-1', address: 'app-1:0', statusUrl: 'http://app-1:8008', tags: [], priority: 0, version: 'test' },
    timings: TIMINGS,
    backups: null,
    rebootstrap: async () => undefined,
    processFence: new RecordingProcessFence(),
    restoreBackup: (id) => async () => ({ position: id, previousDir: null }),
    newestBackup: async () => (newestInStore ? { id: newestInStore, position: newestInStore } : null),
    logger: silentLogger(),
  });
  return { coordinator, recipe, state, loop };
}

describe('HA loop: members that follow the backups', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('CatchUp_takingTheLease_restoresTheNewestBackupInTheStoreBeforeTheApplicationStarts', async () => {
    const store = fakeClockStore();
    // backups/latest still names b2: the old primary died after b3's manifest landed, before it wrote the key.
    const m = member(store, 'b3');
    await writeKey(m.coordinator, LATEST_BACKUP, { id: 'b2', position: 'b2', at: new Date(T0).toISOString() });
    await m.loop.cycle();
    expect(m.state.holdsLease).toBe(true);
    expect(m.recipe.order).toEqual(['catchUp b3', 'becomePrimary']);
  });

  it('CatchUp_followingAPrimary_restoresEachNewBackupOnce', async () => {
    const store = fakeClockStore();
    const m = member(store, null);
    const leader = await peer(store, 'app-2', { role: 'primary', position: 'b5' });
    await leader.tryAcquireLeader({ member: 'app-2', address: 'app-2:0', term: 1, since: new Date(T0).toISOString() });
    await writeKey(leader, LATEST_BACKUP, { id: 'b5', position: 'b5', at: new Date(T0).toISOString() });
    await m.loop.cycle();
    await m.loop.cycle();
    expect(m.recipe.caughtUp).toEqual(['b5']);
    expect(m.state.holdsLease).toBe(false);
    await writeKey(leader, LATEST_BACKUP, { id: 'b6', position: 'b6', at: new Date(T0).toISOString() });
    await m.loop.cycle();
    expect(m.recipe.caughtUp).toEqual(['b5', 'b6']);
    expect(m.recipe.callsTo('becomePrimary')).toEqual([]);
  });
});
