import { describe, expect, it } from 'vitest';
import { Harness, placedAllocs } from '../../../../scheduler/scheduling/testing/harness.js';
import { mockGroup, mockJob, mockNode } from '../../../../scheduler/scheduling/testing/mock.js';
import type { Job } from '../../../../scheduler/structs/index.js';

/**
 * A job with a sticky/migrate ephemeral disk that is stopped and run again (what `pilotfish up
 * --scheduler` does on every start) resumes each allocation name from the last stopped allocation
 * of that name: same node preferred, `previousAllocation` set so the agent moves the data.
 * Nomad starts such placements empty (hashicorp/nomad#14977).
 */

function job(version: number, sticky: boolean, stop = false): Job {
  return mockJob({ version, stop, groups: [mockGroup({ count: 3, ephemeralDisk: { sizeMb: 100, sticky, migrate: sticky } })] });
}

function stopAndComplete(h: Harness, version: number, sticky: boolean, nowMs: number): void {
  const stopped = job(version, sticky, true);
  h.upsertJob(stopped);
  h.process(h.evalFor(stopped), { nowMs, seed: version });
  h.upsertAllocs(h.allocsByJob('default', 'example').map((a) => ({ ...a, clientStatus: 'complete' as const })));
}

describe('resume after a job stop', () => {
  it('Resume_stickyJobStoppedAndRunAgain_eachNameTakesItsPreviousAllocationAndNode', () => {
    for (const seed of [1, 2, 3]) {
      const h = new Harness();
      for (let i = 0; i < 6; i++) h.upsertNode(mockNode({ id: `n${i}` }));
      h.upsertJob(job(0, true));
      const first = placedAllocs(h.process(h.evalFor(job(0, true)), { nowMs: 0, seed }));
      stopAndComplete(h, 1, true, 10);
      const again = job(2, true);
      h.upsertJob(again);
      const plan = h.process(h.evalFor(again), { nowMs: 20, seed: seed + 100 });
      const placed = placedAllocs(plan);
      expect(placed).toHaveLength(3);
      for (const alloc of placed) {
        const prev = first.find((a) => a.name === alloc.name)!;
        expect(alloc.previousAllocation).toBe(prev.id);
        expect(alloc.nodeId).toBe(prev.nodeId);
        expect(alloc.rescheduleTracker).toBeNull();
      }
      // the previous allocations are now replaced: a third run links to the second generation
      expect(h.allocsByJob('default', 'example').filter((a) => first.some((f) => f.id === a.id)).every((a) => a.nextAllocation !== '')).toBe(true);
      stopAndComplete(h, 3, true, 30);
      const third = job(4, true);
      h.upsertJob(third);
      const thirdPlaced = placedAllocs(h.process(h.evalFor(third), { nowMs: 40, seed }));
      expect(thirdPlaced.map((a) => a.previousAllocation).sort()).toEqual(placed.map((a) => a.id).sort());
    }
  });

  it('Resume_withoutStickyDisk_placementsStartFresh', () => {
    const h = new Harness();
    for (let i = 0; i < 3; i++) h.upsertNode(mockNode({ id: `n${i}` }));
    h.upsertJob(job(0, false));
    h.process(h.evalFor(job(0, false)), { nowMs: 0, seed: 1 });
    stopAndComplete(h, 1, false, 10);
    h.upsertJob(job(2, false));
    const placed = placedAllocs(h.process(h.evalFor(job(2, false)), { nowMs: 20, seed: 2 }));
    expect(placed.map((a) => a.previousAllocation)).toEqual(['', '', '']);
  });

  it('DataHolder_replacementOfANeverStartedReplacement_prefersTheNodeThatRanIt', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const h = new Harness();
      for (let i = 0; i < 10; i++) h.upsertNode(mockNode({ id: `n${i}` }));
      const j = mockJob({ groups: [mockGroup({ count: 1, ephemeralDisk: { sizeMb: 100, sticky: true, migrate: true } })] });
      h.upsertJob(j);
      const [a] = placedAllocs(h.process(h.evalFor(j), { nowMs: 0, seed }));
      const ran = { main: { state: 'running' as const, failed: false, restarts: 0, lastRestartMs: 0, startedAtMs: 1, finishedAtMs: 0, events: [] } };
      h.upsertAllocs([{ ...h.alloc(a!.id)!, clientStatus: 'running', taskStates: ran }]);
      // a's node goes down: b replaces it elsewhere, but b's node goes down before b ever runs
      h.upsertNode({ ...h.node(a!.nodeId)!, status: 'down' });
      const [b] = placedAllocs(h.process(h.evalFor(j, 'node-update'), { nowMs: 1, seed: seed + 1 }));
      h.upsertNode({ ...h.node(b!.nodeId)!, status: 'down' });
      h.upsertNode({ ...h.node(a!.nodeId)!, status: 'ready' });
      const [c] = placedAllocs(h.process(h.evalFor(j, 'node-update'), { nowMs: 2, seed: seed + 2 }));
      expect(c!.previousAllocation).toBe(b!.id);
      expect(c!.nodeId).toBe(a!.nodeId);
    }
  });
});
