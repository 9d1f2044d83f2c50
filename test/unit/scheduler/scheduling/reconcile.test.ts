import { describe, expect, it } from 'vitest';
import type { Job, Plan } from '../../../../scheduler/structs/index.js';
import { DEFAULT_UPDATE_STRATEGY } from '../../../../scheduler/structs/index.js';
import { Harness, placedAllocs } from '../../../../scheduler/scheduling/testing/harness.js';
import { mockGroup, mockJob, mockNode, mockTask } from '../../../../scheduler/scheduling/testing/mock.js';

function setup(count: number, nodes = 4): { h: Harness; job: Job } {
  const h = new Harness();
  for (let i = 0; i < nodes; i++) h.upsertNode(mockNode({ id: `n${i}` }));
  const job = mockJob({ groups: [mockGroup({ count })] });
  h.upsertJob(job);
  h.process(h.evalFor(job), { nowMs: 0, seed: 1 });
  return { h, job };
}

function next(h: Harness, job: Job, seed = 2): Plan {
  h.upsertJob(job);
  return h.process(h.evalFor(job), { nowMs: 1000, seed });
}

const stops = (plan: Plan) => Object.values(plan.nodeUpdate).flat();
const inPlace = (plan: Plan) => Object.values(plan.nodeInPlaceUpdate).flat();
const live = (h: Harness) => h.allocsByJob('default', 'example').filter((a) => a.desiredStatus === 'run');

describe('reconcile', () => {
  it('Reconcile_unchangedJob_changesNothing', () => {
    const { h, job } = setup(3);
    const plan = next(h, job);
    expect(placedAllocs(plan)).toHaveLength(0);
    expect(stops(plan)).toHaveLength(0);
    expect(plan.annotations.desiredTgUpdates['web']?.ignore).toBe(3);
  });

  it('Reconcile_scaleUp_placesNewIndices', () => {
    const { h, job } = setup(2);
    const plan = next(h, { ...job, version: 1, groups: [{ ...job.groups[0]!, count: 4 }] });
    expect(placedAllocs(plan).map((a) => a.name).sort()).toEqual(['example.web[2]', 'example.web[3]']);
    expect(inPlace(plan)).toHaveLength(2);
  });

  it('Reconcile_scaleDown_stopsHighestIndices', () => {
    const { h, job } = setup(4);
    const plan = next(h, { ...job, version: 1, groups: [{ ...job.groups[0]!, count: 2 }] });
    expect(stops(plan).map((a) => a.name).sort()).toEqual(['example.web[2]', 'example.web[3]']);
    expect(stops(plan).every((a) => a.desiredStatus === 'stop')).toBe(true);
    expect(live(h).map((a) => a.name).sort()).toEqual(['example.web[0]', 'example.web[1]']);
  });

  it('Reconcile_policyOnlyChange_updatesInPlace', () => {
    const { h, job } = setup(2);
    const group = { ...job.groups[0]!, restart: { ...job.groups[0]!.restart, attempts: 9 } };
    const plan = next(h, { ...job, version: 1, groups: [group] });
    expect(inPlace(plan).map((a) => a.jobVersion)).toEqual([1, 1]);
    expect(placedAllocs(plan)).toHaveLength(0);
    expect(plan.annotations.desiredTgUpdates['web']?.inPlaceUpdate).toBe(2);
  });

  it('Reconcile_taskConfigChange_replacesDestructively', () => {
    const { h, job } = setup(2);
    const group = { ...job.groups[0]!, tasks: [mockTask({ env: { MODE: 'new' } })] };
    const plan = next(h, { ...job, version: 1, groups: [group] });
    const placed = placedAllocs(plan);
    expect(placed).toHaveLength(2);
    expect(stops(plan).map((a) => a.id).sort()).toEqual(placed.map((a) => a.previousAllocation).sort());
    expect(stops(plan).every((a) => a.nextAllocation !== '')).toBe(true);
    expect(plan.annotations.desiredTgUpdates['web']?.destructiveUpdate).toBe(2);
  });

  it('Reconcile_maxParallel_limitsDestructiveUpdatesPerPass', () => {
    const { h, job } = setup(3);
    const group = { ...job.groups[0]!, update: { ...DEFAULT_UPDATE_STRATEGY, maxParallel: 1 }, tasks: [mockTask({ env: { V: '2' } })] };
    const plan = next(h, { ...job, version: 1, groups: [group] });
    expect(placedAllocs(plan)).toHaveLength(1);
    expect(plan.annotations.desiredTgUpdates['web']).toMatchObject({ destructiveUpdate: 1, ignore: 2 });
    // the replacement is still pending: the next pass waits
    expect(placedAllocs(next(h, { ...job, version: 1, groups: [group] }, 3))).toHaveLength(0);
  });

  it('Reconcile_nodeDown_marksLostAndReplacesElsewhere', () => {
    const { h, job } = setup(2);
    const victim = live(h)[0]!;
    h.upsertNode({ ...h.node(victim.nodeId)!, status: 'down' });
    const plan = next(h, job);
    const lost = stops(plan);
    expect(lost.map((a) => [a.id, a.clientStatus, a.desiredStatus])).toEqual([[victim.id, 'lost', 'stop']]);
    const [replacement] = placedAllocs(plan);
    expect(replacement!.nodeId).not.toBe(victim.nodeId);
    expect(replacement!.name).toBe(victim.name);
    expect(plan.annotations.desiredTgUpdates['web']?.lost).toBe(1);
  });

  it('Reconcile_drainingNode_migratesAllocations', () => {
    const { h, job } = setup(2, 3);
    const victim = live(h)[0]!;
    h.upsertNode({ ...h.node(victim.nodeId)!, drain: { deadlineMs: 0, startedAtMs: 0 }, schedulingEligibility: 'ineligible' });
    const plan = next(h, job);
    expect(stops(plan).map((a) => [a.id, a.desiredStatus])).toEqual([[victim.id, 'evict']]);
    expect(placedAllocs(plan)[0]!.nodeId).not.toBe(victim.nodeId);
  });

  it('Reconcile_jobStopped_stopsEverything', () => {
    const { h, job } = setup(3);
    const plan = next(h, { ...job, version: 1, stop: true });
    expect(stops(plan)).toHaveLength(3);
    expect(live(h)).toHaveLength(0);
  });

  it('Reconcile_completedBatchAllocation_isNotReplaced', () => {
    const h = new Harness();
    h.upsertNode(mockNode({ id: 'n0' }));
    const job = mockJob({ type: 'batch' });
    h.upsertJob(job);
    const [a] = placedAllocs(h.process(h.evalFor(job), { nowMs: 0, seed: 1 }));
    h.upsertAllocs([{ ...a!, clientStatus: 'complete' }]);
    expect(placedAllocs(next(h, job))).toHaveLength(0);
  });

  it('Reconcile_completedServiceAllocation_isReplaced', () => {
    const { h, job } = setup(1);
    const [a] = live(h);
    h.upsertAllocs([{ ...a!, clientStatus: 'complete' }]);
    expect(placedAllocs(next(h, job)).map((x) => x.name)).toEqual([a!.name]);
  });

  it('Reconcile_noCapacity_reportsQueuedFailure', () => {
    const h = new Harness();
    h.upsertNode(mockNode({ id: 'n0' }));
    const job = mockJob({ groups: [mockGroup({ count: 3, tasks: [mockTask({ resources: { cpuMhz: 1500, memoryMb: 256 } })] })] });
    const plan = next(h, job);
    expect(placedAllocs(plan)).toHaveLength(2);
    expect(plan.failedTgAllocs['web']?.dimensionExhausted).toEqual({ cpu: 1 });
  });

  it('Reconcile_ephemeralDiskSize_countsAgainstNodeDisk', () => {
    const h = new Harness();
    h.upsertNode(mockNode({ id: 'n0', resources: { cpuMhz: 4000, memoryMb: 8192, diskMb: 1000 } }));
    const job = mockJob({ groups: [mockGroup({ count: 3, ephemeralDisk: { sizeMb: 400, sticky: false, migrate: false } })] });
    const plan = next(h, job);
    expect(placedAllocs(plan)).toHaveLength(2);
    expect(plan.failedTgAllocs['web']?.dimensionExhausted).toEqual({ disk: 1 });
  });

  it('Reconcile_stickyDisk_destructiveUpdatePrefersPreviousNode', () => {
    const h = new Harness();
    for (let i = 0; i < 6; i++) h.upsertNode(mockNode({ id: `n${i}` }));
    const job = mockJob({ groups: [mockGroup({ count: 3, ephemeralDisk: { sizeMb: 300, sticky: true, migrate: false } })] });
    h.upsertJob(job);
    const before = placedAllocs(h.process(h.evalFor(job), { nowMs: 0, seed: 1 }));
    const plan = next(h, { ...job, version: 1, groups: [{ ...job.groups[0]!, tasks: [mockTask({ env: { V: '2' } })] }] });
    const byPrev = new Map(placedAllocs(plan).map((a) => [a.previousAllocation, a.nodeId]));
    for (const old of before) expect(byPrev.get(old.id)).toBe(old.nodeId);
  });
});
