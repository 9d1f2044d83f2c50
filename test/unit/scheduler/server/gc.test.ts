import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mockAlloc, mockGroup, mockJob, mockNode } from '../../../../scheduler/scheduling/testing/mock.js';
import { loadServerConfig } from '../../../../scheduler/server/config.js';
import { newEvaluation } from '../../../../scheduler/structs/index.js';
import { ServerGc, gcCandidates, protectedAllocIds } from '../../../../scheduler/server/gc.js';
import { StateStore } from '../../../../scheduler/server/state-store.js';
import type { Allocation, Evaluation, Job, TaskState } from '../../../../scheduler/structs/index.js';
import { tempDir } from '../../../support/tmp.js';

const HOUR = 3_600_000;
const T = { evalGcThresholdMs: HOUR, batchEvalGcThresholdMs: 24 * HOUR };
const NOW = 100 * HOUR;

let dir: { path: string; remove(): void } | undefined;
let store: StateStore | undefined;
afterEach(() => {
  store?.close();
  store = undefined;
  dir?.remove();
  dir = undefined;
});

function open(): StateStore {
  store = new StateStore((dir ??= tempDir()).path);
  store.restore();
  return store;
}

const RAN: Record<string, TaskState> = {
  main: { state: 'dead', failed: false, restarts: 0, lastRestartMs: 0, startedAtMs: 1, finishedAtMs: 2, events: [] },
};

function job(overrides: Partial<Job> = {}, sticky = false): Job {
  return mockJob({ id: 'web', groups: [mockGroup({ name: 'app', count: 1, ephemeralDisk: { sizeMb: 100, sticky, migrate: sticky } })], ...overrides });
}

/** `web.app[0]` allocations: terminal by default, changed `ageMs` before NOW. */
function alloc(id: string, ageMs: number, overrides: Partial<Allocation> = {}): Allocation {
  return mockAlloc(id, 'n1', 100, { name: 'web.app[0]', desiredStatus: 'stop', clientStatus: 'complete', taskStates: RAN, modifyTimeMs: NOW - ageMs, ...overrides });
}

function evaluation(id: string, status: Evaluation['status'], ageMs: number, type: Job['type'] = 'service'): Evaluation {
  return { ...newEvaluation(id, { namespace: 'default', id: 'web', priority: 50, type }, 'job-register', 0), status, modifyTimeMs: NOW - ageMs };
}

describe('server garbage collection', () => {
  it('ServerGc_terminalOlderThanThreshold_collectedYoungerKept', () => {
    const s = open();
    s.apply({ jobs: [job()], nodes: [mockNode({ id: 'n1' })] });
    s.apply({ allocs: [alloc('old', 2 * HOUR), alloc('young', HOUR / 2), alloc('running', 5 * HOUR, { desiredStatus: 'run', clientStatus: 'running' })] });
    s.apply({ evals: [evaluation('e-old', 'complete', 2 * HOUR), evaluation('e-young', 'complete', 10), evaluation('e-blocked', 'blocked', 9 * HOUR)] });
    expect(gcCandidates(s, NOW, T)).toEqual({ allocIds: ['old'], evalIds: ['e-old'] });
  });

  it('ServerGc_slotHolders_keptWhileTheJobRuns', () => {
    const s = open();
    const batch = job({ type: 'batch' });
    s.apply({ jobs: [batch] });
    // a complete batch allocation fills its slot: forgetting it would run the batch again
    s.apply({ allocs: [alloc('done', 30 * HOUR, { desiredStatus: 'run' })] });
    s.apply({ evals: [evaluation('b1', 'complete', 2 * HOUR, 'batch'), evaluation('b2', 'complete', 25 * HOUR, 'batch')] });
    expect(gcCandidates(s, NOW, T)).toEqual({ allocIds: [], evalIds: ['b2'] });
    s.apply({ jobs: [{ ...batch, version: 1, stop: true }] });
    expect(gcCandidates(s, NOW, T).allocIds).toEqual(['done']);
  });

  it('ServerGc_pendingMigration_keepsTheChainToTheDataHolder', () => {
    const s = open();
    s.apply({ jobs: [job({}, true)] });
    // holder ran; mid never reached an agent (lost while its node went down); next is pending
    const holder = alloc('holder', 50 * HOUR, { nextAllocation: 'mid' });
    const mid = alloc('mid', 50 * HOUR, { clientStatus: 'lost', taskStates: {}, previousAllocation: 'holder', nextAllocation: 'next' });
    const next = alloc('next', 0, { desiredStatus: 'run', clientStatus: 'pending', taskStates: {}, previousAllocation: 'mid' });
    const unrelated = alloc('unrelated', 50 * HOUR, { name: 'web.app[7]', nextAllocation: 'x' });
    s.apply({ allocs: [holder, mid, next, unrelated] });
    expect([...protectedAllocIds(s)].sort()).toEqual(['holder', 'mid']);
    expect(gcCandidates(s, NOW, T).allocIds).toEqual(['unrelated']);
    // once the successor runs (its migration is over), the chain may go
    s.apply({ allocs: [{ ...next, clientStatus: 'running', taskStates: RAN }] });
    expect(gcCandidates(s, NOW, T).allocIds.sort()).toEqual(['holder', 'mid', 'unrelated']);
  });

  it('ServerGc_stickyGroup_lastStoppedAllocationOfEachNameKeptForResume', () => {
    const s = open();
    s.apply({ jobs: [job({ stop: true }, true)] });
    s.apply({ allocs: [alloc('gen1', 60 * HOUR, { nextAllocation: 'gen2' }), alloc('gen2', 50 * HOUR)] });
    expect(gcCandidates(s, NOW, T).allocIds).toEqual(['gen1']);
  });

  it('ServerGc_run_deletesDurablyAndAFailedApplyDeletesNothing', () => {
    const s = open();
    s.apply({ jobs: [job()], allocs: [alloc('old', 2 * HOUR)], evals: [evaluation('e', 'complete', 2 * HOUR)] });
    const logged: string[] = [];
    const log = { info: (_: object, m: string) => logged.push(m), error: (_: object, m: string) => logged.push(m) };
    const failing = new ServerGc({ ...s.snapshot(), allocs: () => s.allocs(), alloc: (id) => s.alloc(id), evals: () => s.evals(), job: (ns, id) => s.job(ns, id), apply: () => { throw new Error('disk full'); } }, T, log, () => NOW);
    expect(failing.run()).toEqual({ allocs: 0, evals: 0 });
    expect(logged).toContain('garbage collection failed; nothing was deleted');
    expect(s.alloc('old')).toBeDefined();
    expect(new ServerGc(s, T, log, () => NOW).run()).toEqual({ allocs: 1, evals: 1 });
    s.close();
    const reopened = open();
    expect(reopened.alloc('old')).toBeUndefined();
    expect(reopened.evaluation('e')).toBeUndefined();
    expect(reopened.allocsByNode('n1')).toEqual([]);
  });

  it('ServerConfig_gcFields_durationsDefaultsAndFieldPathOnBadValues', async () => {
    const d = (dir ??= tempDir());
    const file = join(d.path, 'server.yaml');
    writeFileSync(file, `dataDir: ${d.path}\nmanagementToken: 0123456789abcdef\n`);
    expect(await loadServerConfig(file, {})).toMatchObject({ gcIntervalMs: 300_000, evalGcThresholdMs: HOUR, batchEvalGcThresholdMs: 24 * HOUR });
    writeFileSync(file, `dataDir: ${d.path}\nmanagementToken: 0123456789abcdef\ngcInterval: 10s\nevalGcThreshold: soon\n`);
    await expect(loadServerConfig(file, {})).rejects.toThrow(/evalGcThreshold.*not a duration/);
  });
});
