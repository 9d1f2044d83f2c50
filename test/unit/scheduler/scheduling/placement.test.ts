import { describe, expect, it } from 'vitest';
import type { Allocation, Job, Node } from '../../../../scheduler/structs/index.js';
import { Harness, placedAllocs } from '../../../../scheduler/scheduling/testing/harness.js';
import { mockGroup, mockJob, mockNode, mockTask } from '../../../../scheduler/scheduling/testing/mock.js';

function cluster(nodes: Node[]): Harness {
  const h = new Harness();
  for (const n of nodes) h.upsertNode(n);
  return h;
}

function run(h: Harness, job: Job, seed = 1, algorithm: 'binpack' | 'spread' = 'binpack'): Allocation[] {
  h.upsertJob(job);
  return placedAllocs(h.process(h.evalFor(job), { nowMs: 0, seed, algorithm }));
}

function countBy(allocs: Allocation[], key: (a: Allocation) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of allocs) out[key(a)] = (out[key(a)] ?? 0) + 1;
  return out;
}

const racks = (perRack: number, rackCount: number): Node[] =>
  Array.from({ length: perRack * rackCount }, (_, i) => mockNode({ id: `n${i}`, meta: { rack: `r${i % rackCount}` } }));

describe('distinct_hosts and distinct_property', () => {
  it('DistinctHosts_placesEachAllocationOnItsOwnNode', () => {
    for (const seed of [1, 2, 3]) {
      const h = cluster(racks(1, 5));
      const allocs = run(h, mockJob({ groups: [mockGroup({ count: 5, constraints: [{ attribute: '', operator: 'distinct_hosts', value: '' }] })] }), seed);
      expect(new Set(allocs.map((a) => a.nodeId)).size).toBe(5);
    }
  });

  it('DistinctHosts_moreAllocationsThanNodes_failsTheRest', () => {
    const h = cluster(racks(1, 3));
    h.upsertJob(mockJob({ constraints: [{ attribute: '', operator: 'distinct_hosts', value: '' }], groups: [mockGroup({ count: 4 })] }));
    const plan = h.process(h.evalFor(h.job('default', 'example')!), { nowMs: 0, seed: 1 });
    expect(placedAllocs(plan)).toHaveLength(3);
    expect(plan.failedTgAllocs['web']?.constraintFiltered['distinct_hosts']).toBeGreaterThan(0);
  });

  it('DistinctProperty_countTwoOverRacks_placesAtMostTwoPerRack', () => {
    for (const seed of [1, 2, 3, 4]) {
      const h = cluster(racks(4, 3));
      const group = mockGroup({ count: 6, constraints: [{ attribute: '${meta.rack}', operator: 'distinct_property', value: '2' }] });
      const allocs = run(h, mockJob({ groups: [group] }), seed);
      const byRack = countBy(allocs, (a) => h.node(a.nodeId)!.meta['rack']!);
      expect(byRack).toEqual({ r0: 2, r1: 2, r2: 2 });
    }
  });

  it('DistinctProperty_countTwoOverRacks_failsTheSeventh', () => {
    const h = cluster(racks(4, 3));
    const group = mockGroup({ count: 7, constraints: [{ attribute: '${meta.rack}', operator: 'distinct_property', value: '2' }] });
    h.upsertJob(mockJob({ groups: [group] }));
    const plan = h.process(h.evalFor(h.job('default', 'example')!), { nowMs: 0, seed: 1 });
    expect(placedAllocs(plan)).toHaveLength(6);
    expect(Object.keys(plan.failedTgAllocs)).toEqual(['web']);
  });

  it('DistinctProperty_countsExistingAllocations_onScaleUp', () => {
    const h = cluster(racks(4, 3));
    const constraint = { attribute: '${meta.rack}', operator: 'distinct_property' as const, value: '2' };
    run(h, mockJob({ groups: [mockGroup({ count: 3, constraints: [constraint] })] }));
    run(h, mockJob({ version: 1, groups: [mockGroup({ count: 6, constraints: [constraint] })] }), 9);
    const live = h.allocsByJob('default', 'example').filter((a) => a.desiredStatus === 'run');
    expect(live).toHaveLength(6);
    expect(Object.values(countBy(live, (a) => h.node(a.nodeId)!.meta['rack']!))).toEqual([2, 2, 2]);
  });
});

describe('spread and affinity', () => {
  const dcNodes = (): Node[] =>
    Array.from({ length: 10 }, (_, i) => mockNode({ id: `n${i}`, datacenter: i < 5 ? 'dc1' : 'dc2' }));

  it('Spread_seventyThirty_withinOneAllocation', () => {
    for (const [count, seed] of [[10, 1], [20, 2], [33, 3], [50, 4]] as const) {
      const h = cluster(dcNodes());
      const group = mockGroup({
        count,
        spreads: [{ attribute: '${node.datacenter}', weight: 100, targets: [{ value: 'dc1', percent: 70 }, { value: 'dc2', percent: 30 }] }],
      });
      const byDc = countBy(run(h, mockJob({ groups: [group] }), seed), (a) => h.node(a.nodeId)!.datacenter);
      expect(Math.abs((byDc['dc1'] ?? 0) - 0.7 * count)).toBeLessThanOrEqual(1);
      expect(Math.abs((byDc['dc2'] ?? 0) - 0.3 * count)).toBeLessThanOrEqual(1);
    }
  });

  it('Spread_withoutTargets_spreadsEvenlyOverValues', () => {
    const h = cluster(racks(3, 4));
    const group = mockGroup({ count: 12, spreads: [{ attribute: '${meta.rack}', weight: 50, targets: [] }] });
    const byRack = countBy(run(h, mockJob({ groups: [group] })), (a) => h.node(a.nodeId)!.meta['rack']!);
    expect(byRack).toEqual({ r0: 3, r1: 3, r2: 3, r3: 3 });
  });

  it('Affinity_positiveWeight_pullsPlacementsToMatchingNodes', () => {
    const h = cluster(Array.from({ length: 8 }, (_, i) => mockNode({ id: `n${i}`, nodeClass: i < 2 ? 'fast' : 'slow' })));
    const group = mockGroup({ count: 4, affinities: [{ attribute: '${node.class}', operator: '=', value: 'fast', weight: 100 }] });
    const byClass = countBy(run(h, mockJob({ groups: [group] })), (a) => h.node(a.nodeId)!.nodeClass);
    expect(byClass).toEqual({ fast: 4 });
  });

  it('Affinity_negativeWeight_pushesPlacementsAway', () => {
    const h = cluster(Array.from({ length: 8 }, (_, i) => mockNode({ id: `n${i}`, nodeClass: i < 6 ? 'busy' : 'quiet' })));
    const group = mockGroup({ count: 2, affinities: [{ attribute: '${node.class}', operator: '=', value: 'busy', weight: -100 }] });
    expect(countBy(run(h, mockJob({ groups: [group] })), (a) => h.node(a.nodeId)!.nodeClass)).toEqual({ quiet: 2 });
  });
});

describe('fit algorithms', () => {
  const big = mockTask({ resources: { cpuMhz: 1000, memoryMb: 2048 } });
  const jobs = Array.from({ length: 4 }, (_, i) => mockJob({ id: `j${i}`, name: `j${i}`, groups: [mockGroup({ tasks: [big] })] }));

  it('Binpack_fillsOneNodeBeforeTheNext', () => {
    const h = cluster([mockNode({ id: 'a' }), mockNode({ id: 'b' })]);
    const nodes = jobs.map((j, i) => run(h, j, i + 1)[0]!.nodeId);
    expect(new Set(nodes).size).toBe(1);
  });

  it('SpreadAlgorithm_fillsNodesEvenly', () => {
    const h = cluster([mockNode({ id: 'a' }), mockNode({ id: 'b' })]);
    const nodes = jobs.map((j, i) => run(h, j, i + 1, 'spread')[0]!.nodeId);
    expect(countBy(nodes.map((n) => ({ nodeId: n }) as Allocation), (a) => a.nodeId)).toEqual({ a: 2, b: 2 });
  });

  it('Binpack_exhaustedNode_overflowsToTheNext', () => {
    const h = cluster([mockNode({ id: 'a' }), mockNode({ id: 'b' })]);
    // 4000 MHz nodes, 1000 MHz per allocation: the fifth job no longer fits on the full node
    const five = [...jobs, mockJob({ id: 'j4', name: 'j4', groups: [mockGroup({ tasks: [big] })] })];
    const allocs = five.map((j, i) => run(h, j, i + 1)[0]!);
    expect(Object.values(countBy(allocs, (a) => a.nodeId)).sort()).toEqual([1, 4]);
  });

  it('JobAntiAffinity_spreadsOneGroupOverNodes_underBinpack', () => {
    const h = cluster([mockNode({ id: 'a' }), mockNode({ id: 'b' })]);
    const allocs = run(h, mockJob({ groups: [mockGroup({ count: 2 })] }));
    expect(new Set(allocs.map((a) => a.nodeId)).size).toBe(2);
  });

  it('Schedule_sameSeed_samePlan', () => {
    const plans = [1, 2].map(() => {
      const h = cluster(racks(5, 4));
      return run(h, mockJob({ groups: [mockGroup({ count: 7 })] }), 42).map((a) => [a.id, a.nodeId, a.name]);
    });
    expect(plans[0]).toEqual(plans[1]);
  });
});
