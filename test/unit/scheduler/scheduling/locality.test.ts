import { describe, expect, it } from 'vitest';
import { Harness, placedAllocs } from '../../../../scheduler/scheduling/testing/harness.js';
import { mockGroup, mockJob, mockNode } from '../../../../scheduler/scheduling/testing/mock.js';

describe('data locality and host volumes', () => {
  it('Migrate_drainedNode_replacementStaysInTheSameRack', () => {
    for (const seed of [1, 2, 3, 4]) {
      const h = new Harness();
      // three racks of three nodes in two datacenters
      for (let i = 0; i < 9; i++) h.upsertNode(mockNode({ id: `n${i}`, datacenter: i < 6 ? 'dc1' : 'dc2', meta: { rack: `r${Math.floor(i / 3)}` } }));
      const job = mockJob({ groups: [mockGroup({ ephemeralDisk: { sizeMb: 300, sticky: false, migrate: true } })] });
      h.upsertJob(job);
      const [first] = placedAllocs(h.process(h.evalFor(job), { nowMs: 0, seed }));
      const node = h.node(first!.nodeId)!;
      h.upsertNode({ ...node, drain: { deadlineMs: 0, startedAtMs: 0 }, schedulingEligibility: 'ineligible' });
      const [moved] = placedAllocs(h.process(h.evalFor(job, 'node-drain'), { nowMs: 1, seed: seed + 10 }));
      expect(moved!.nodeId).not.toBe(node.id);
      expect(h.node(moved!.nodeId)!.meta['rack']).toBe(node.meta['rack']);
      expect(moved!.metrics!.scoreMetaData[0]!.scores['locality']).toBe(0.75);
    }
  });

  it('HostVolume_missingOnNode_filtersTheNode', () => {
    const h = new Harness();
    h.upsertNode(mockNode({ id: 'plain' }));
    h.upsertNode(mockNode({ id: 'storage', hostVolumes: { data: { path: '/srv/data', readOnly: false } } }));
    const job = mockJob({ groups: [mockGroup({ count: 2, volumes: { d: { type: 'host', source: 'data', readOnly: false } } })] });
    h.upsertJob(job);
    const plan = h.process(h.evalFor(job), { nowMs: 0, seed: 1 });
    expect(placedAllocs(plan).map((a) => a.nodeId)).toEqual(['storage', 'storage']);
  });

  it('InPlaceUpdate_nodeNoLongerSatisfiesConstraint_becomesDestructive', () => {
    const h = new Harness();
    h.upsertNode(mockNode({ id: 'a', nodeClass: 'old' }));
    h.upsertNode(mockNode({ id: 'b', nodeClass: 'new' }));
    const job = mockJob({ constraints: [{ attribute: '${node.class}', operator: '=', value: 'old' }] });
    h.upsertJob(job);
    h.process(h.evalFor(job), { nowMs: 0, seed: 1 });
    const v1 = { ...job, version: 1, constraints: [{ attribute: '${node.class}', operator: '=' as const, value: 'new' }] };
    h.upsertJob(v1);
    const plan = h.process(h.evalFor(v1), { nowMs: 1, seed: 2 });
    expect(placedAllocs(plan).map((a) => a.nodeId)).toEqual(['b']);
    expect(plan.annotations.desiredTgUpdates['web']?.destructiveUpdate).toBe(1);
  });
});
