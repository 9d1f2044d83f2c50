import { describe, expect, it } from 'vitest';
import type { Allocation, ReschedulePolicy, RescheduleTracker } from '../../../../scheduler/structs/index.js';
import { defaultReschedulePolicy } from '../../../../scheduler/structs/index.js';
import { nextDelayMs, rescheduleEligible } from '../../../../scheduler/scheduling/index.js';
import { Harness, placedAllocs } from '../../../../scheduler/scheduling/testing/harness.js';
import { mockGroup, mockJob, mockNode } from '../../../../scheduler/scheduling/testing/mock.js';

const S = 1000;

function policy(over: Partial<ReschedulePolicy>): ReschedulePolicy {
  return { attempts: 0, intervalMs: 0, delayMs: 5 * S, delayFunction: 'constant', maxDelayMs: 60 * S, unlimited: true, ...over };
}

/** Delays of `n` consecutive reschedules of an allocation that fails `runMs` after each placement. */
function series(p: ReschedulePolicy, n: number, runMs = S): number[] {
  const tracker: RescheduleTracker = { events: [] };
  let now = 0;
  const delays: number[] = [];
  for (let k = 0; k < n; k++) {
    const failedAt = now + runMs;
    const delay = nextDelayMs(p, tracker, failedAt);
    delays.push(delay / S);
    now = failedAt + delay;
    tracker.events.push({ rescheduleTimeMs: now, prevAllocId: `a${k}`, prevNodeId: 'n', delayMs: delay });
  }
  return delays;
}

describe('reschedule delays', () => {
  it('RescheduleDelay_constant_staysAtDelay', () => {
    expect(series(policy({ delayFunction: 'constant' }), 5)).toEqual([5, 5, 5, 5, 5]);
  });

  it('RescheduleDelay_exponential_doublesUpToMaxDelay', () => {
    expect(series(policy({ delayFunction: 'exponential' }), 7)).toEqual([5, 10, 20, 40, 60, 60, 60]);
  });

  it('RescheduleDelay_fibonacci_addsTheLastTwoUpToMaxDelay', () => {
    expect(series(policy({ delayFunction: 'fibonacci' }), 9)).toEqual([5, 5, 10, 15, 25, 40, 60, 60, 60]);
  });

  it('RescheduleDelay_resetRule_restartsAfterARunLongerThanTheDelay', () => {
    const p = policy({ delayFunction: 'exponential' });
    const tracker: RescheduleTracker = { events: [{ rescheduleTimeMs: 0, prevAllocId: 'a', prevNodeId: 'n', delayMs: 40 * S }] };
    // crash 10 s after the reschedule: back-off continues (80 s capped at 60 s)
    expect(nextDelayMs(p, tracker, 10 * S)).toBe(60 * S);
    // ran for an hour: back to the base delay
    expect(nextDelayMs(p, tracker, 3_600 * S)).toBe(5 * S);
  });

  it('RescheduleDelay_resetRule_fibonacciSeriesStartsOver', () => {
    const p = policy({ delayFunction: 'fibonacci' });
    const tracker: RescheduleTracker = {
      events: [
        { rescheduleTimeMs: 0, prevAllocId: 'a', prevNodeId: 'n', delayMs: 60 * S },
        { rescheduleTimeMs: 100 * S, prevAllocId: 'b', prevNodeId: 'n', delayMs: 5 * S },
      ],
    };
    expect(nextDelayMs(p, tracker, 101 * S)).toBe(5 * S);
  });

  it('RescheduleEligible_attemptsWithinInterval_thenExhausted', () => {
    const p = policy({ unlimited: false, attempts: 2, intervalMs: 600 * S });
    const ev = (t: number) => ({ rescheduleTimeMs: t * S, prevAllocId: 'x', prevNodeId: 'n', delayMs: 5 * S });
    expect(rescheduleEligible(p, null, 0)).toBe(true);
    expect(rescheduleEligible(p, { events: [ev(0)] }, 10 * S)).toBe(true);
    expect(rescheduleEligible(p, { events: [ev(0), ev(20)] }, 30 * S)).toBe(false);
    // the first attempt has left the interval
    expect(rescheduleEligible(p, { events: [ev(0), ev(20)] }, 700 * S)).toBe(true);
    expect(rescheduleEligible(policy({ unlimited: false, attempts: 0 }), null, 0)).toBe(false);
    expect(rescheduleEligible(policy({ unlimited: true }), { events: [ev(0), ev(1), ev(2)] }, 3 * S)).toBe(true);
  });

  it('RescheduleDefaults_matchNomad', () => {
    expect(defaultReschedulePolicy('service')).toMatchObject({ delayMs: 30 * S, delayFunction: 'exponential', maxDelayMs: 3_600 * S, unlimited: true });
    expect(defaultReschedulePolicy('batch')).toMatchObject({ attempts: 1, intervalMs: 86_400 * S, delayMs: 5 * S, delayFunction: 'constant', unlimited: false });
  });
});

function fail(h: Harness, alloc: Allocation, atMs: number): void {
  h.upsertAllocs([
    {
      ...alloc,
      clientStatus: 'failed',
      modifyTimeMs: atMs,
      taskStates: { web: { state: 'dead', failed: true, restarts: 2, lastRestartMs: atMs, startedAtMs: 0, finishedAtMs: atMs, events: [] } },
    },
  ]);
}

describe('rescheduling through the scheduler', () => {
  const T0 = 1_000_000;

  function setup(nodes = 3): Harness {
    const h = new Harness();
    for (let i = 0; i < nodes; i++) h.upsertNode(mockNode({ id: `n${i}` }));
    return h;
  }

  it('Reschedule_beforeDelay_createsFollowUpEvaluation', () => {
    const h = setup();
    const job = mockJob();
    h.upsertJob(job);
    const [first] = placedAllocs(h.process(h.evalFor(job), { nowMs: T0, seed: 1 }));
    fail(h, first!, T0 + 10 * S);
    const plan = h.process(h.evalFor(job, 'alloc-failure'), { nowMs: T0 + 11 * S, seed: 2 });
    expect(placedAllocs(plan)).toHaveLength(0);
    expect(plan.annotations.desiredTgUpdates['web']?.rescheduleLater).toBe(1);
    expect(plan.followupEvals).toHaveLength(1);
    expect(plan.followupEvals[0]!.waitUntilMs).toBe(T0 + 40 * S);
    expect(h.alloc(first!.id)!.followupEvalId).toBe(plan.followupEvals[0]!.id);
  });

  it('Reschedule_afterDelay_placesOnAnotherNode', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const h = setup();
      const job = mockJob();
      h.upsertJob(job);
      const [first] = placedAllocs(h.process(h.evalFor(job), { nowMs: T0, seed }));
      fail(h, first!, T0 + 10 * S);
      const plan = h.process(h.evalFor(job, 'retry-failed-alloc'), { nowMs: T0 + 41 * S, seed: seed + 100 });
      const [replacement] = placedAllocs(plan);
      expect(replacement!.nodeId).not.toBe(first!.nodeId);
      expect(replacement!.name).toBe(first!.name);
      expect(replacement!.previousAllocation).toBe(first!.id);
      expect(replacement!.rescheduleTracker!.events).toEqual([{ rescheduleTimeMs: T0 + 41 * S, prevAllocId: first!.id, prevNodeId: first!.nodeId, delayMs: 30 * S }]);
      expect(h.alloc(first!.id)!.nextAllocation).toBe(replacement!.id);
    }
  });

  it('Reschedule_secondFailure_avoidsEveryNodeItFailedOn', () => {
    const h = setup(3);
    const job = mockJob({ groups: [mockGroup({ reschedule: { ...defaultReschedulePolicy('service'), delayFunction: 'constant', delayMs: 5 * S } })] });
    h.upsertJob(job);
    const [a] = placedAllocs(h.process(h.evalFor(job), { nowMs: T0, seed: 7 }));
    fail(h, a!, T0 + S);
    const [b] = placedAllocs(h.process(h.evalFor(job), { nowMs: T0 + 10 * S, seed: 8 }));
    fail(h, b!, T0 + 11 * S);
    const [c] = placedAllocs(h.process(h.evalFor(job), { nowMs: T0 + 20 * S, seed: 9 }));
    expect(new Set([a!.nodeId, b!.nodeId, c!.nodeId]).size).toBe(3);
    expect(c!.metrics!.scoreMetaData[0]!.scores['node-reschedule-penalty']).toBeUndefined();
  });

  it('Reschedule_batchAttemptsExhausted_leavesAllocationFailed', () => {
    const h = setup();
    const job = mockJob({ type: 'batch', groups: [mockGroup({ reschedule: defaultReschedulePolicy('batch') })] });
    h.upsertJob(job);
    const [a] = placedAllocs(h.process(h.evalFor(job), { nowMs: T0, seed: 1 }));
    fail(h, a!, T0 + S);
    const [b] = placedAllocs(h.process(h.evalFor(job), { nowMs: T0 + 10 * S, seed: 2 }));
    expect(b).toBeDefined();
    fail(h, b!, T0 + 20 * S);
    const plan = h.process(h.evalFor(job), { nowMs: T0 + 60 * S, seed: 3 });
    expect(placedAllocs(plan)).toHaveLength(0);
    expect(plan.followupEvals).toHaveLength(0);
    expect(plan.annotations.desiredTgUpdates['web']?.ignore).toBe(1);
  });
});
