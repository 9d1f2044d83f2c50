import { describe, expect, it } from 'vitest';
import { TokenRenewalSchedule } from '../../../secrets/token-renewal.js';

function fakeClock(startMs = 1_000_000) {
  let now = startMs;
  return { clock: () => now, advance: (ms: number) => void (now += ms) };
}

describe('TokenRenewalSchedule', () => {
  it('TokenRenewalSchedule_succeeded_renewsAtHalfTheTtl', () => {
    const { clock } = fakeClock();
    const schedule = new TokenRenewalSchedule({ floorMs: 250, clock });
    expect(schedule.succeeded(2000)).toEqual({ action: 'renew', delayMs: 1000 });
    expect(schedule.succeeded(3_600_000)).toEqual({ action: 'renew', delayMs: 1_800_000 });
  });

  it('TokenRenewalSchedule_vaultDown_halvesTheRemainingTimeDownToTheFloor', () => {
    const { clock, advance } = fakeClock();
    const schedule = new TokenRenewalSchedule({ floorMs: 250, clock });
    let step = schedule.succeeded(8000);
    const delays: number[] = [];
    while (step.action === 'renew') {
      advance(step.delayMs);
      step = schedule.renewalFailed();
      if (step.action === 'renew') delays.push(step.delayMs);
    }
    expect(delays).toEqual([2000, 1000, 500, 250, 250]);
    expect(schedule.expired()).toBe(true);
    expect(step).toEqual({ action: 'login', delayMs: 250 });
  });

  it('TokenRenewalSchedule_loginKeepsFailing_backsOffExponentiallyUpToTheCap', () => {
    const { clock } = fakeClock();
    const schedule = new TokenRenewalSchedule({ floorMs: 250, maxLoginBackoffMs: 2000, clock });
    schedule.succeeded(1000);
    expect(schedule.tokenRejected()).toEqual({ action: 'login', delayMs: 0 });
    const delays = Array.from({ length: 6 }, () => (schedule.loginFailed() as { delayMs: number }).delayMs);
    expect(delays).toEqual([250, 500, 1000, 2000, 2000, 2000]);
    expect(schedule.succeeded(1000)).toEqual({ action: 'renew', delayMs: 500 });
    expect((schedule.loginFailed() as { delayMs: number }).delayMs).toBe(250);
  });

  it('TokenRenewalSchedule_nonExpiringToken_isNeverRenewed', () => {
    const schedule = new TokenRenewalSchedule({ floorMs: 250, clock: fakeClock().clock });
    expect(schedule.succeeded(0)).toEqual({ action: 'none' });
    expect(schedule.renewalFailed()).toEqual({ action: 'none' });
    expect(schedule.expired()).toBe(false);
    expect(schedule.remainingMs()).toBeUndefined();
  });

  it('TokenRenewalSchedule_shortTtl_neverWaitsLessThanTheFloor', () => {
    const schedule = new TokenRenewalSchedule({ floorMs: 250, clock: fakeClock().clock });
    expect(schedule.succeeded(300)).toEqual({ action: 'renew', delayMs: 250 });
  });
});
