import { describe, expect, it } from 'vitest';
import { RestartTracker } from '../../../../scheduler/agent/restart-tracker.js';

const policy = { attempts: 2, intervalMs: 60_000, delayMs: 1_000, mode: 'fail' as const };
const noJitter = () => 0;

describe('RestartTracker', () => {
  it('RestartTracker_failMode_restartsAttemptsTimesThenFails', () => {
    const tracker = new RestartTracker(policy, 'service', noJitter);
    expect(tracker.onExit(1, 0)).toMatchObject({ action: 'restart', delayMs: 1_000 });
    expect(tracker.onExit(1, 2_000)).toMatchObject({ action: 'restart', delayMs: 1_000 });
    expect(tracker.onExit(1, 4_000).action).toBe('fail');
  });

  it('RestartTracker_afterInterval_countStartsOver', () => {
    const tracker = new RestartTracker(policy, 'service', noJitter);
    tracker.onExit(1, 0);
    tracker.onExit(1, 1_000);
    expect(tracker.onExit(1, 61_000).action).toBe('restart');
    expect(tracker.restarts).toBe(1);
  });

  it('RestartTracker_delayMode_waitsForTheIntervalToPass', () => {
    const tracker = new RestartTracker({ ...policy, mode: 'delay' }, 'service', noJitter);
    tracker.onExit(1, 0);
    tracker.onExit(1, 10_000);
    expect(tracker.onExit(1, 20_000)).toMatchObject({ action: 'restart', delayMs: 40_000 });
    expect(tracker.onExit(1, 60_000)).toMatchObject({ action: 'restart', delayMs: 1_000 });
  });

  it('RestartTracker_jitter_addsAtMostAQuarterOfDelay', () => {
    const tracker = new RestartTracker(policy, 'service', () => 0.999);
    const decision = tracker.onExit(1, 0);
    expect(decision.action === 'restart' && decision.delayMs).toBeLessThanOrEqual(1_250);
  });

  it('RestartTracker_batchExitZero_completes', () => {
    expect(new RestartTracker(policy, 'batch', noJitter).onExit(0, 0).action).toBe('complete');
    expect(new RestartTracker(policy, 'service', noJitter).onExit(0, 0).action).toBe('restart');
  });

  it('RestartTracker_zeroAttempts_failsAtOnce', () => {
    expect(new RestartTracker({ ...policy, attempts: 0 }, 'service', noJitter).onExit(2, 0).action).toBe('fail');
  });
});
