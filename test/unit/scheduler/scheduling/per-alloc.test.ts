import { describe, expect, it } from 'vitest';
import { Harness, placedAllocs } from '../../../../scheduler/scheduling/testing/harness.js';
import { mockGroup, mockJob, mockNode, mockTask } from '../../../../scheduler/scheduling/testing/mock.js';
import type { HostVolume, Job, Node } from '../../../../scheduler/structs/index.js';

const VOL: HostVolume = { path: '/srv/data', readOnly: false };

function volumes(...names: string[]): Record<string, HostVolume> {
  return Object.fromEntries(names.map((n) => [n, VOL]));
}

function perAllocJob(count: number, overrides: Partial<Job> = {}, sticky = false): Job {
  const task = mockTask({ volumeMounts: [{ volume: 'd', destination: '/data', readOnly: false }] });
  return mockJob({
    groups: [
      mockGroup({
        count,
        ephemeralDisk: { sizeMb: 300, sticky, migrate: sticky },
        volumes: { d: { type: 'host', source: 'data', readOnly: false, perAlloc: true } },
        tasks: [task],
      }),
    ],
    ...overrides,
  });
}

function byIndex(h: Harness, job: Job): Record<string, string> {
  return Object.fromEntries(
    h
      .allocsByJob(job.namespace, job.id)
      .filter((a) => a.desiredStatus === 'run')
      .map((a) => [a.name, a.nodeId]),
  );
}

describe('per_alloc host volumes', () => {
  it('PerAlloc_eachIndex_placedOnlyOnANodeHoldingSourceIndex', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const h = new Harness();
      // "plain" holds the un-indexed volume only: a per_alloc request must not take it
      h.upsertNode(mockNode({ id: 'plain', hostVolumes: volumes('data') }));
      h.upsertNode(mockNode({ id: 'none' }));
      for (let i = 0; i < 3; i++) h.upsertNode(mockNode({ id: `n${i}`, hostVolumes: volumes(`data[${i}]`) }));
      const job = perAllocJob(3);
      h.upsertJob(job);
      const plan = h.process(h.evalFor(job), { nowMs: 0, seed });
      expect(plan.failedTgAllocs).toEqual({});
      expect(byIndex(h, job)).toEqual({ 'example.web[0]': 'n0', 'example.web[1]': 'n1', 'example.web[2]': 'n2' });
    }
  });

  it('PerAlloc_missingIndex_onlyThatIndexFailsNamingTheVolume', () => {
    const h = new Harness();
    h.upsertNode(mockNode({ id: 'a', hostVolumes: volumes('data[0]', 'data[2]') }));
    h.upsertNode(mockNode({ id: 'b' }));
    const job = perAllocJob(3);
    h.upsertJob(job);
    const plan = h.process(h.evalFor(job), { nowMs: 0, seed: 7 });
    expect(placedAllocs(plan).map((a) => a.name).sort()).toEqual(['example.web[0]', 'example.web[2]']);
    const failure = plan.failedTgAllocs['web']!;
    expect(failure.constraintFiltered).toEqual({ 'missing host volume data[1]': 2 });
    expect(failure.nodesFiltered).toBe(2);
  });

  it('PerAlloc_lostNode_replacementGoesToAnotherHolderOfTheSameIndex', () => {
    const h = new Harness();
    h.upsertNode(mockNode({ id: 'a', hostVolumes: volumes('data[0]') }));
    h.upsertNode(mockNode({ id: 'b', hostVolumes: volumes('data[0]') }));
    h.upsertNode(mockNode({ id: 'c', hostVolumes: volumes('data[1]') }));
    const job = perAllocJob(1, {}, true);
    h.upsertJob(job);
    const [first] = placedAllocs(h.process(h.evalFor(job), { nowMs: 0, seed: 3 }));
    const down: Node = { ...h.node(first!.nodeId)!, status: 'down' };
    h.upsertNode(down);
    const [replacement] = placedAllocs(h.process(h.evalFor(job, 'node-update'), { nowMs: 1, seed: 4 }));
    expect(replacement!.name).toBe('example.web[0]');
    expect(replacement!.nodeId).toBe(first!.nodeId === 'a' ? 'b' : 'a');
  });

  it('PerAlloc_destructiveUpdate_staysOnTheIndexNode', () => {
    const h = new Harness();
    for (let i = 0; i < 4; i++) h.upsertNode(mockNode({ id: `n${i}`, hostVolumes: volumes(`data[${i}]`, `data[${(i + 1) % 4}]`) }));
    const job = perAllocJob(4, {}, true);
    h.upsertJob(job);
    h.process(h.evalFor(job), { nowMs: 0, seed: 1 });
    const before = byIndex(h, job);
    const v1: Job = { ...job, version: 1, groups: [{ ...job.groups[0]!, meta: { rev: '2' } }] };
    h.upsertJob(v1);
    const plan = h.process(h.evalFor(v1), { nowMs: 1, seed: 2 });
    expect(plan.annotations.desiredTgUpdates['web']?.destructiveUpdate).toBe(4);
    expect(byIndex(h, v1)).toEqual(before);
    for (const [name, nodeId] of Object.entries(before)) {
      const index = /\[(\d+)\]$/.exec(name)![1]!;
      expect(Object.keys(h.node(nodeId)!.hostVolumes)).toContain(`data[${index}]`);
    }
  });
});
