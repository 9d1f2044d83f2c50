import { describe, expect, it } from 'vitest';
import { localityTier } from '../../../../scheduler/scheduling/locality.js';
import { Harness, placedAllocs } from '../../../../scheduler/scheduling/testing/harness.js';
import { mockGroup, mockJob, mockNode, mockTask } from '../../../../scheduler/scheduling/testing/mock.js';
import type { Job, Node } from '../../../../scheduler/structs/index.js';

/**
 * Data that follows its allocation: sticky keeps the previous node on updates (Nomad #5856), and a
 * migrating allocation whose node is drained or lost goes to the closest node: same rack, then
 * same datacenter, then anywhere.
 */

function cluster(h: Harness, opts: { rackMate: boolean; sameDc: boolean }): Node {
  const prev = mockNode({ id: 'prev', meta: { rack: 'r1' } });
  h.upsertNode(prev);
  if (opts.rackMate) h.upsertNode(mockNode({ id: 'mate', meta: { rack: 'r1' } }));
  if (opts.sameDc) for (let i = 0; i < 4; i++) h.upsertNode(mockNode({ id: `dc1-r2-${i}`, meta: { rack: 'r2' } }));
  for (let i = 0; i < 12; i++) h.upsertNode(mockNode({ id: `dc2-${i}`, datacenter: 'dc2', meta: { rack: `x${i}` } }));
  return prev;
}

function job(version = 0, env: Record<string, string> = {}): Job {
  return mockJob({
    version,
    datacenters: ['dc1', 'dc2'],
    groups: [mockGroup({ count: 1, ephemeralDisk: { sizeMb: 100, sticky: true, migrate: true }, tasks: [mockTask({ env })] })],
  });
}

/** Places the job on `prev` (the only eligible node at first), then applies `change` and replans. */
function replace(seed: number, opts: { rackMate: boolean; sameDc: boolean }, change: 'drain' | 'down' | 'update') {
  const h = new Harness();
  const prev = cluster(h, opts);
  for (const node of h.nodes()) if (node.id !== 'prev') h.upsertNode({ ...node, schedulingEligibility: 'ineligible' });
  const j = job();
  h.upsertJob(j);
  h.process(h.evalFor(j), { nowMs: 0, seed });
  for (const node of h.nodes()) if (node.id !== 'prev') h.upsertNode({ ...node, schedulingEligibility: 'eligible' });
  if (change === 'drain') h.upsertNode({ ...prev, drain: { deadlineMs: 0, startedAtMs: 1 }, schedulingEligibility: 'ineligible' });
  if (change === 'down') h.upsertNode({ ...prev, status: 'down' });
  const next = change === 'update' ? job(1, { V: '1' }) : j;
  h.upsertJob(next);
  const trigger = change === 'update' ? 'job-register' : change === 'drain' ? 'node-drain' : 'node-update';
  const plan = h.process(h.evalFor(next, trigger, 1000), { nowMs: 1000, seed: seed + 100 });
  const [placed] = placedAllocs(plan);
  return { placed, node: placed ? h.node(placed.nodeId) : undefined };
}

describe('data locality', () => {
  it('StickyDisk_destructiveUpdate_keepsThePreviousNode', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { placed } = replace(seed, { rackMate: true, sameDc: true }, 'update');
      expect(placed?.nodeId).toBe('prev');
      expect(placed?.previousAllocation).not.toBe('');
    }
  });

  it.each(['drain', 'down'] as const)('MigrateDisk_%s_prefersRackMateThenDatacenterThenElsewhere', (change) => {
    for (let seed = 1; seed <= 20; seed++) {
      const rack = replace(seed, { rackMate: true, sameDc: true }, change);
      expect(rack.node?.id).toBe('mate');
      const score = rack.placed?.metrics?.scoreMetaData.find((m) => m.nodeId === 'mate')?.scores['locality'];
      expect(localityTier(score ?? -1)).toBe('rack');
      const dc = replace(seed, { rackMate: false, sameDc: true }, change);
      expect(dc.node?.datacenter).toBe('dc1');
      expect(dc.node?.id).not.toBe('prev');
      const far = replace(seed, { rackMate: false, sameDc: false }, change);
      expect(far.node?.datacenter).toBe('dc2');
    }
  });
});
