import { afterEach, describe, expect, it } from 'vitest';
import { schedule } from '../../../../scheduler/scheduling/index.js';
import { placedAllocs } from '../../../../scheduler/scheduling/testing/harness.js';
import { mockAlloc, mockGroup, mockJob, mockNode, mockTask } from '../../../../scheduler/scheduling/testing/mock.js';
import { newEvaluation } from '../../../../scheduler/server/evals.js';
import { StateStore } from '../../../../scheduler/server/state-store.js';
import type { Allocation } from '../../../../scheduler/structs/index.js';
import { tempDir } from '../../../support/tmp.js';

let dir: { path: string; remove(): void } | undefined;
let store: StateStore | undefined;
afterEach(() => {
  store?.close();
  dir?.remove();
});

function open(): StateStore {
  store = new StateStore((dir ??= tempDir()).path);
  store.restore();
  return store;
}

function alloc(id: string, nodeId: string, cpuMhz: number, overrides: Partial<Allocation> = {}): Allocation {
  return mockAlloc(id, nodeId, cpuMhz, { jobId: 'other', ...overrides });
}

const small = { cpuMhz: 1000, memoryMb: 1000, diskMb: 1000 };

describe('StateStore snapshot contract', () => {
  it('StateStore_nodes_sameArrayUntilANodeChanges', () => {
    const s = open();
    s.apply({ nodes: [mockNode({ id: 'n1' }), mockNode({ id: 'n2' })] });
    const first = s.nodes();
    s.apply({ allocs: [alloc('a', 'n1', 100)] });
    expect(s.nodes()).toBe(first);
    s.apply({ nodes: [mockNode({ id: 'n1', schedulingEligibility: 'ineligible' })] });
    const second = s.nodes();
    expect(second).not.toBe(first);
    expect(first.find((n) => n.id === 'n1')?.schedulingEligibility).toBe('eligible');
    expect(second.find((n) => n.id === 'n1')?.schedulingEligibility).toBe('ineligible');
  });

  it('StateStore_nodeUsage_followsAllocationChanges', () => {
    const s = open();
    s.apply({ nodes: [mockNode({ id: 'n1', resources: small }), mockNode({ id: 'n2', resources: small })] });
    s.apply({ allocs: [alloc('a', 'n1', 100), alloc('b', 'n1', 200), alloc('c', 'n2', 50)] });
    expect(s.nodeUsage('n1')).toEqual({ cpuMhz: 300, memoryMb: 20, diskMb: 20 });
    const order = s.nodes().map((n) => n.id);
    const before = s.nodeUsageArray();
    expect(Array.from(before)).toEqual(order.flatMap((id) => (id === 'n1' ? [300, 20, 20] : [50, 10, 10])));

    s.apply({ allocs: [alloc('b', 'n1', 200, { clientStatus: 'complete' }), alloc('a', 'n2', 100)] });
    expect(s.nodeUsage('n1')).toEqual({ cpuMhz: 0, memoryMb: 0, diskMb: 0 });
    expect(s.nodeUsage('n2')).toEqual({ cpuMhz: 150, memoryMb: 20, diskMb: 20 });
    const after = s.nodeUsageArray();
    expect(after).not.toBe(before);
    expect(before[order.indexOf('n1') * 3]).toBe(300);
    expect(after[order.indexOf('n2') * 3]).toBe(150);

    s.close();
    const reopened = open();
    expect(reopened.nodeUsage('n2')).toEqual({ cpuMhz: 150, memoryMb: 20, diskMb: 20 });
    expect(reopened.nodeUsage('n1').cpuMhz).toBe(0);
  });

  it('StateStore_snapshot_schedulerRespectsUsedCapacity', () => {
    const s = open();
    s.apply({ nodes: [mockNode({ id: 'n1', resources: small }), mockNode({ id: 'n2', resources: small })] });
    s.apply({ allocs: [alloc('a', 'n1', 800)] });
    const job = mockJob({ groups: [mockGroup({ count: 2, tasks: [mockTask({ resources: { cpuMhz: 600, memoryMb: 10 } })] })] });
    s.apply({ jobs: [job] });
    const plan = schedule(s.snapshot(), newEvaluation(job, 'job-register', 0), { nowMs: 0, seed: 1 });
    expect(placedAllocs(plan).map((a) => a.nodeId)).toEqual(['n2']);
    expect(Object.keys(plan.failedTgAllocs)).toEqual(['web']);
  });
});
