import { silentLogger } from '../../../../common/logger.js';
import type { RecipeHealth } from '../../../../recipes/recipe.js';
import type { MemberRecord } from '../../../../coordination/coordinator.js';
import { MemoryCoordinator, MemoryStore } from '../../../../coordination/memory.js';
import { LEADER_KEY, clusterPrefix } from '../../../../coordination/records.js';
import { HaLoop } from '../../../../supervisor/ha/ha-loop.js';
import { haTimings, type HaTimings } from '../../../../supervisor/ha/lease-timings.js';
import { initialMemberState, type MemberState } from '../../../../supervisor/member-state.js';
import { RecordingProcessFence } from '../../../support/recording-process-fence.js';
import { ScriptedRecipe } from '../../../support/scripted-recipe.js';

/**
 * One HA member over the memory coordinator, for unit tests under `vi.useFakeTimers()`: a real
 * HaLoop with a scripted recipe and a recording process fence. Members that share a store form
 * one cluster; the store reads the (fake) `Date.now()`, so advancing fake time expires sessions.
 */

export const CLUSTER = 'c';
export const T0 = Date.parse('2026-11-23T18:00:00Z');

/** With these, a renewal at `t` fences at `t + 8000` and arms the process fence for `t + 9000`. */
export const TIMINGS: HaTimings = {
  ...haTimings({ ttlMs: 10_000, maxTtlMs: 10_000 }, { loopWaitMs: 1000, safetyMarginMs: 2000, maxLagOnFailoverMs: 10_000 }),
  // shorter than the 15 s floor, so the bound is reached in a few cycles
  primaryDownBoundMs: 5000,
};

export interface HaMember {
  coordinator: MemoryCoordinator;
  recipe: ScriptedRecipe;
  processFence: RecordingProcessFence;
  state: MemberState;
  loop: HaLoop;
  /** Times the loop re-bootstrapped this member. */
  rebootstraps: number;
}

/** A store on the fake clock. */
export function fakeClockStore(): MemoryStore {
  return new MemoryStore(() => Date.now());
}

export function haMember(store: MemoryStore, name: string, health: Partial<RecipeHealth> = {}): HaMember {
  const coordinator = new MemoryCoordinator({ cluster: CLUSTER, ttlMs: TIMINGS.ttlMs, store });
  const recipe = new ScriptedRecipe(health);
  const processFence = new RecordingProcessFence();
  const state = { ...initialMemberState(), phase: 'running' as const };
  const member: Omit<HaMember, 'loop'> = { coordinator, recipe, processFence, state, rebootstraps: 0 };
  const loop = new HaLoop({
    coordinator,
    recipe,
    state,
    self: { name, address: `${name}:3306`, statusUrl: `http://${name}:8008`, tags: [], priority: 0, version: 'test' },
    timings: TIMINGS,
    backups: null,
    rebootstrap: async () => {
      member.rebootstraps++;
    },
    processFence,
    logger: silentLogger(),
  });
  return Object.assign(member, { loop });
}

/** Another member's entry, published through its own coordinator (its own session). */
export async function peer(store: MemoryStore, name: string, over: Partial<MemberRecord> = {}): Promise<MemoryCoordinator> {
  const coordinator = new MemoryCoordinator({ cluster: CLUSTER, ttlMs: TIMINGS.ttlMs, store });
  await coordinator.putMember({ name, address: `${name}:3306`, role: 'replica', position: '0-1-10', lagSeconds: 0, healthy: true, version: 'test', tags: [], ...over });
  return coordinator;
}

/** The store ends the leader's session, as when its lease expired or was revoked: the leader key is gone. */
export function endLeaderSession(store: MemoryStore): void {
  const session = store.keys.get(clusterPrefix(CLUSTER) + LEADER_KEY)?.session;
  if (session === null || session === undefined) throw new Error('no leader session to end');
  store.destroySession(session);
}
