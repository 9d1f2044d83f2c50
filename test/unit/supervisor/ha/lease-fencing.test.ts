import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../../common/logger.js';
import { LeaseFencing } from '../../../../supervisor/ha/lease-fencing.js';
import { initialMemberState } from '../../../../supervisor/member-state.js';
import { RecordingProcessFence } from '../../../support/recording-process-fence.js';
import { ScriptedRecipe } from '../../../support/scripted-recipe.js';

const T0 = Date.parse('2026-11-23T18:00:00Z');

/** A primary that renewed its lease at T0: ttl 10 s, safety margin 2 s. */
function renewedPrimary() {
  const recipe = new ScriptedRecipe({ writable: true });
  const processFence = new RecordingProcessFence();
  const state = { ...initialMemberState(), phase: 'running' as const, role: 'primary' as const, holdsLease: true, lastRenewOkAtMs: T0 };
  const fencing = new LeaseFencing(recipe, state, processFence, { fenceAfterMs: 8000, watchdogAfterMs: 9000 }, silentLogger());
  fencing.renewed();
  return { recipe, processFence, state, fencing };
}

describe('LeaseFencing', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('LeaseFencing_renewed_fenceDeadlineAndProcessFenceBetweenItAndTheLeaseEnd', () => {
    const { processFence, fencing } = renewedPrimary();
    expect(fencing.fenceAtMs()).toBe(T0 + 8000);
    expect(processFence.events).toEqual([{ kind: 'arm', pid: 4242, deadlineMs: T0 + 9000, atMs: T0 }]);
  });

  it('LeaseFencing_notRenewed_fencesAtTtlMinusSafetyMargin', async () => {
    const { recipe, processFence, state } = renewedPrimary();
    await vi.advanceTimersByTimeAsync(7999);
    expect(recipe.callsTo('fence')).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(recipe.callsTo('fence')).toEqual([{ name: 'fence', atMs: T0 + 8000 }]);
    expect(state).toMatchObject({ role: 'replica', holdsLease: false });
    expect(processFence.armedDeadlineMs()).toBeNull();
  });

  it('LeaseFencing_renewedAgain_movesBothDeadlines', async () => {
    const { recipe, processFence, state, fencing } = renewedPrimary();
    await vi.advanceTimersByTimeAsync(5000);
    state.lastRenewOkAtMs = T0 + 5000;
    fencing.renewed();
    await vi.advanceTimersByTimeAsync(7999);
    expect(recipe.callsTo('fence')).toEqual([]);
    expect(processFence.armedDeadlineMs()).toBe(T0 + 14_000);
    await vi.advanceTimersByTimeAsync(1);
    expect(recipe.callsTo('fence')).toEqual([{ name: 'fence', atMs: T0 + 13_000 }]);
  });

  it('LeaseFencing_databaseDoesNotConfirmReadOnly_processFenceStaysArmed', async () => {
    const { recipe, processFence, state } = renewedPrimary();
    recipe.fenceConfirms = false;
    await vi.advanceTimersByTimeAsync(8000);
    expect(recipe.callsTo('fence')).toHaveLength(1);
    expect(state.holdsLease).toBe(false);
    // the watchdog must still kill the server at its deadline
    expect(processFence.armedDeadlineMs()).toBe(T0 + 9000);
  });

  it('LeaseFencing_released_cancelsTheTimerAndDisarms', async () => {
    const { recipe, processFence, state, fencing } = renewedPrimary();
    fencing.released();
    expect(state).toMatchObject({ role: 'replica', holdsLease: false });
    expect(processFence.armedDeadlineMs()).toBeNull();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(recipe.callsTo('fence')).toEqual([]);
  });
});
