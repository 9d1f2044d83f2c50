import { describe, expect, it } from 'vitest';
import type { AllocMetrics } from '../../../../scheduler/structs/index.js';
import { PlacementMetrics, SLOT, ScoreLog } from '../../../../scheduler/scheduling/metrics.js';
import { Harness, placedAllocs } from '../../../../scheduler/scheduling/testing/harness.js';
import { mockGroup, mockJob, mockNode } from '../../../../scheduler/scheduling/testing/mock.js';

function placeThree(): AllocMetrics[] {
  const h = new Harness();
  for (let i = 0; i < 4; i++) h.upsertNode(mockNode({ id: `n${i}`, datacenter: i % 2 === 0 ? 'dc1' : 'dc2' }));
  const job = mockJob({ groups: [mockGroup({ count: 3, spreads: [{ attribute: '${node.datacenter}', weight: 50, targets: [] }] })] });
  h.upsertJob(job);
  return placedAllocs(h.process(h.evalFor(job), { nowMs: 0, seed: 7 })).map((a) => a.metrics!);
}

describe('placement metrics', () => {
  it('PlacementMetrics_scoreMetaData_listsTheChosenNodeAndItsParts', () => {
    const [first] = placeThree();
    const [entry] = first!.scoreMetaData;
    expect(first!.scoreMetaData).toHaveLength(1);
    expect(entry!.nodeId).toMatch(/^n\d$/);
    expect(Object.keys(entry!.scores).sort()).toEqual(['allocation-spread', 'binpack']);
    const parts = Object.values(entry!.scores);
    expect(entry!.normScore).toBeCloseTo(parts.reduce((a, b) => a + b, 0) / parts.length, 12);
  });

  it('PlacementMetrics_toJSON_roundTripsAsThePlainShape', () => {
    const metrics = placeThree();
    for (const m of metrics) {
      const plain = JSON.parse(JSON.stringify(m)) as AllocMetrics;
      expect(plain).toEqual({
        nodesEvaluated: m.nodesEvaluated,
        nodesFiltered: m.nodesFiltered,
        nodesAvailable: m.nodesAvailable,
        constraintFiltered: m.constraintFiltered,
        nodesExhausted: m.nodesExhausted,
        dimensionExhausted: m.dimensionExhausted,
        scoreMetaData: m.scoreMetaData,
      });
      expect(plain.nodesAvailable).toEqual({ dc1: 2, dc2: 2 });
    }
    // each placement keeps its own breakdown (later placements do not overwrite earlier ones)
    const second = metrics[1]!.scoreMetaData[0]!;
    expect(second.scores['job-anti-affinity'] ?? 0).toBeLessThanOrEqual(0);
    expect(metrics.map((m) => m.scoreMetaData[0]!.nodeId)).toHaveLength(3);
  });

  it('ScoreLog_appendBeyondExpected_growsAndKeepsEarlierEntries', () => {
    const log = new ScoreLog('spread', 1, { dc1: 3 }, {});
    const dims = Object.freeze({ cpu: 2 });
    const metrics = [0, 1, 2].map((k) => {
      const at = log.append(`n${k}`, 10 + k, k, k === 1 ? 2 : 0, k === 1 ? dims : {});
      log.values[at + SLOT.norm] = k / 10;
      log.values[at + SLOT.fit] = k / 10;
      return new PlacementMetrics(log, at);
    });
    expect(metrics.map((m) => [m.nodesEvaluated, m.nodesFiltered, m.nodesExhausted])).toEqual([
      [10, 0, 0],
      [11, 1, 2],
      [12, 2, 0],
    ]);
    expect(metrics[1]!.dimensionExhausted).toBe(dims);
    expect(metrics.map((m) => m.scoreMetaData[0])).toEqual([0, 1, 2].map((k) => ({ nodeId: `n${k}`, normScore: k / 10, scores: { spread: k / 10 } })));
  });
});
