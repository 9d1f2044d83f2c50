import { afterEach, describe, expect, it } from 'vitest';
import { mockAlloc, mockNode } from '../../../../scheduler/scheduling/testing/mock.js';
import { applyPlan } from '../../../../scheduler/server/plan-applier.js';
import { StateStore } from '../../../../scheduler/server/state-store.js';
import type { Allocation, Plan } from '../../../../scheduler/structs/index.js';
import { tempDir } from '../../../support/tmp.js';

let dir: { path: string; remove(): void } | undefined;
let store: StateStore | undefined;
afterEach(() => {
  store?.close();
  dir?.remove();
});

function alloc(id: string, nodeId: string, cpuMhz: number, overrides: Partial<Allocation> = {}): Allocation {
  return mockAlloc(id, nodeId, cpuMhz, { jobId: 'web', ...overrides });
}

function plan(parts: Partial<Plan>): Plan {
  return {
    evalId: 'e',
    namespace: 'default',
    jobId: 'web',
    jobVersion: 0,
    priority: 50,
    nodeAllocation: {},
    nodeInPlaceUpdate: {},
    nodeUpdate: {},
    attributeUpdates: [],
    followupEvals: [],
    failedTgAllocs: {},
    annotations: { desiredTgUpdates: {} },
    ...parts,
  };
}

function setup(): StateStore {
  dir = tempDir();
  store = new StateStore(dir.path);
  store.restore();
  store.apply({
    nodes: [mockNode({ id: 'n1', resources: { cpuMhz: 1000, memoryMb: 1000, diskMb: 1000 } }), mockNode({ id: 'n2', status: 'down' })],
    allocs: [alloc('old', 'n1', 800)],
  });
  return store;
}

describe('applyPlan', () => {
  it('PlanApplier_nodeFilledMeanwhile_rejectsItsPlacements', () => {
    const s = setup();
    const result = applyPlan(s, plan({ nodeAllocation: { n1: [alloc('new', 'n1', 300)] } }), [], 1);
    expect(result.rejected).toEqual({ n1: 'cpu exhausted' });
    expect(s.alloc('new')).toBeUndefined();
  });

  it('PlanApplier_stopInSamePlan_freesRoom', () => {
    const s = setup();
    const stopped = alloc('old', 'n1', 800, { desiredStatus: 'stop' });
    const result = applyPlan(s, plan({ nodeAllocation: { n1: [alloc('new', 'n1', 300, { previousAllocation: 'old' })] }, nodeUpdate: { n1: [stopped] } }), [], 1);
    expect(result).toMatchObject({ rejected: {}, placed: 1, stopped: 1 });
    expect(s.alloc('old')?.nextAllocation).toBe('new');
  });

  it('PlanApplier_nodeDown_rejected', () => {
    const s = setup();
    expect(applyPlan(s, plan({ nodeAllocation: { n2: [alloc('x', 'n2', 1)] } }), [], 1).rejected).toEqual({ n2: 'node is down' });
  });

  it('PlanApplier_committed_survivesReopen', () => {
    const s = setup();
    applyPlan(s, plan({ nodeUpdate: { n1: [alloc('old', 'n1', 800, { desiredStatus: 'stop' })] } }), [], 1);
    s.close();
    store = new StateStore(dir?.path as string);
    store.restore();
    expect(store.alloc('old')?.desiredStatus).toBe('stop');
    expect(store.allocsByNode('n1').length).toBe(1);
  });
});
