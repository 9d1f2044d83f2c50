import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../common/logger.js';
import { ChangeTracker } from '../../../../recipes/directory/change-tracker.js';

function tracker() {
  let now = 0;
  const t = new ChangeTracker('/nonexistent', { quietPeriodMs: 2000, maxDelayMs: 30_000 }, silentLogger(), () => now);
  return { t, advance: (ms: number) => (now += ms) };
}

describe('ChangeTracker', () => {
  it('ChangeTracker_noChange_neverDue', () => {
    const { t, advance } = tracker();
    advance(60_000);
    expect(t.due()).toBe(false);
  });

  it('ChangeTracker_changeThenQuiet_dueAfterTheQuietPeriod', () => {
    const { t, advance } = tracker();
    t.changed();
    advance(1999);
    expect(t.due()).toBe(false);
    advance(1);
    expect(t.due()).toBe(true);
  });

  it('ChangeTracker_constantChange_dueAtTheMaximumDelay', () => {
    const { t, advance } = tracker();
    for (let ms = 0; ms < 29_000; ms += 500) {
      t.changed();
      advance(500);
      expect(t.due()).toBe(false);
    }
    t.changed();
    advance(1000);
    expect(t.due()).toBe(true);
  });

  it('ChangeTracker_backupFailed_itsChangesArePendingAgain', () => {
    const { t, advance } = tracker();
    t.changed();
    t.changed();
    const taken = t.backupStarted();
    expect(taken.pending).toBe(2);
    expect(t.due()).toBe(false);
    t.backupFailed(taken.pending);
    expect(t.pending).toBe(2);
    advance(2000);
    expect(t.due()).toBe(true);
  });

  it('ChangeTracker_directoryMissing_startDoesNotThrowAndAssumesAChange', () => {
    const { t, advance } = tracker();
    t.start();
    advance(2000);
    expect(t.due()).toBe(true);
    t.stop();
  });
});
