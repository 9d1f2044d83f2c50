import { describe, expect, it } from 'vitest';
import { etcdLease } from '../../../../coordination/lease.js';
import { haTimings, leaseTimingProblems } from '../../../../supervisor/ha/lease-timings.js';

const inputs = (ttlMs: number, loopWaitMs: number, safetyMarginMs: number, timeoutMs = 2000) => ({
  lease: etcdLease(ttlMs),
  ttlPath: 'coordinator.etcd.ttl',
  renewTimeoutMs: timeoutMs,
  timeoutPath: 'coordinator.etcd.timeout',
  ha: { loopWaitMs, safetyMarginMs, maxLagOnFailoverMs: 10_000 },
});

describe('lease timings', () => {
  it('haTimings_defaults_fenceAndWatchdogBetweenRenewalAndLeaseEnd', () => {
    const t = haTimings(etcdLease(5000), { loopWaitMs: 1000, safetyMarginMs: 1500, maxLagOnFailoverMs: 10_000 });
    expect(t).toMatchObject({ ttlMs: 5000, fenceAfterMs: 3500, watchdogAfterMs: 4250, primaryDownBoundMs: 15_000, candidateTimeoutMs: 10_000, handoverBoundMs: 10_000, serviceCheckTtlMs: 5000 });
  });

  it('haTimings_etcdTtlWithFractionOfASecond_usesTheWholeSecondsEtcdGrants', () => {
    expect(haTimings(etcdLease(2500), { loopWaitMs: 500, safetyMarginMs: 1000, maxLagOnFailoverMs: 0 }).fenceAfterMs).toBe(2000);
  });

  it('leaseTimingProblems_defaultsAndTightButSafe_none', () => {
    expect(leaseTimingProblems(inputs(5000, 1000, 1500))).toEqual([]);
    expect(leaseTimingProblems(inputs(3000, 500, 1000, 1000))).toEqual([]);
  });

  it('leaseTimingProblems_renewalCannotLandBeforeTheFence_oneProblemAtLoopWait', () => {
    const problems = leaseTimingProblems(inputs(2000, 1000, 1500));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('ha.loopWait');
  });

  it('leaseTimingProblems_marginNotShorterThanTtl_refused', () => {
    expect(leaseTimingProblems(inputs(2000, 100, 2000, 100)).map((p) => p.path)).toEqual(['ha.safetyMargin']);
  });

  it('leaseTimingProblems_marginTooSmallForTheWatchdog_refused', () => {
    expect(leaseTimingProblems(inputs(5000, 1000, 200)).map((p) => p.path)).toEqual(['ha.safetyMargin']);
  });
});
