import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Allocation, Evaluation, Job, Node } from '../../../scheduler/structs/index.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { type Cluster, HEARTBEAT_GRACE_MS, HEARTBEAT_TTL_MS, startCluster } from './cluster.js';
import { type TestJob, writeJob } from './jobs.js';

/**
 * The scheduler end to end, with real processes: one server, three agents (racks r1..r3), tasks
 * that are real node processes. Figures (time to detect a dead node, to replace, …) are printed
 * so the report can quote them.
 */

let dir: { path: string; remove(): void };
let cluster: Cluster;

const nodeRack = new Map<string, string>();

async function allocsOf(jobId: string): Promise<Allocation[]> {
  return (await cluster.api<Allocation[]>(`/v1/job/${jobId}/allocations`)).body;
}

function running(allocs: readonly Allocation[]): Allocation[] {
  return allocs.filter((a) => a.desiredStatus === 'run' && a.clientStatus === 'running');
}

async function runJob(job: TestJob): Promise<string> {
  const file = writeJob(dir.path, job);
  const out = await cluster.cli('job', 'run', file);
  expect(out.exitCode, out.stderr).toBe(0);
  return file;
}

function pidOf(alloc: Allocation): number {
  const started = alloc.taskStates.main?.events.filter((e) => e.type === 'Started').at(-1);
  return Number(/pid (\d+)/.exec(started?.message ?? '')?.[1]);
}

beforeAll(async () => {
  dir = tempDir('pf-sched-');
  cluster = await startCluster(dir.path);
  for (const node of (await cluster.api<Node[]>('/v1/nodes')).body) nodeRack.set(node.id, node.meta.rack as string);
});

afterAll(async () => {
  await cluster?.teardown();
  dir?.remove();
});

describe('scheduler cluster', () => {
  it('Scheduler_jobOfThree_runsOnePerRack', async () => {
    const t0 = Date.now();
    await runJob({ id: 'web', count: 3, fixture: 'forever.mjs', env: { GREETING: 'v0' }, spreadOverRacks: true });
    const allocs = await waitFor('three running allocations', async () => {
      const list = running(await allocsOf('web'));
      return list.length === 3 ? list : undefined;
    });
    console.log(`[figure] job of 3 running in ${Date.now() - t0}ms`);
    const racks = allocs.map((a) => nodeRack.get(a.nodeId)).sort();
    expect(racks).toEqual(['r1', 'r2', 'r3']);
    // The task sees its allocation through the environment and its log is served by the agent.
    const logs = await cluster.cli('alloc', 'logs', (allocs[0] as Allocation).id.slice(0, 8));
    expect(logs.stdout).toContain(`"PILOTFISH_ALLOC_ID":"${(allocs[0] as Allocation).id}"`);
    expect(logs.stdout).toContain('"PILOTFISH_DATA_DIR"');
    expect(logs.stdout).toContain('"GREETING":"v0"');
  });

  it('Scheduler_jobPlan_changesNothing', async () => {
    const before = await cluster.api<{ job: Job; allocs: Allocation[] }>('/v1/job/web');
    const evalsBefore = (await cluster.api<Evaluation[]>('/v1/evaluations')).body.length;
    const file = writeJob(dir.path, { id: 'web', count: 4, fixture: 'forever.mjs', env: { GREETING: 'v0' }, spreadOverRacks: true });
    const out = await cluster.cli('job', 'plan', file);
    expect(out.stdout).toContain('+ create web.app[3]');
    expect(out.stdout).toContain('groups[app].count: 3 => 4');
    expect(out.exitCode).toBe(1); // Nomad's convention: 1 means the plan would create or destroy allocations.
    const after = await cluster.api<{ job: Job; allocs: Allocation[] }>('/v1/job/web');
    expect(after.body.job.version).toBe(before.body.job.version);
    expect(after.body.allocs.map((a) => a.id).sort()).toEqual(before.body.allocs.map((a) => a.id).sort());
    expect((await cluster.api<Evaluation[]>('/v1/evaluations')).body.length).toBe(evalsBefore);
  });

  it('Scheduler_jobRevert_restoresPreviousVersion', async () => {
    await runJob({ id: 'web', count: 3, fixture: 'forever.mjs', env: { GREETING: 'v1' }, spreadOverRacks: true });
    await waitFor('three allocations at version 1', async () => {
      const list = running(await allocsOf('web'));
      return list.length === 3 && list.every((a) => a.jobVersion === 1);
    });
    const reverted = await cluster.cli('job', 'revert', 'web', '0');
    expect(reverted.exitCode, reverted.stderr).toBe(0);
    const allocs = await waitFor('three allocations at version 2', async () => {
      const list = running(await allocsOf('web'));
      return list.length === 3 && list.every((a) => a.jobVersion === 2) ? list : undefined;
    });
    const status = (await cluster.api<{ job: Job }>('/v1/job/web')).body.job;
    expect(status.version).toBe(2);
    expect(status.groups[0]?.tasks[0]?.env).toEqual({ GREETING: 'v0' });
    const logs = await cluster.cli('alloc', 'logs', (allocs[0] as Allocation).id);
    expect(logs.stdout).toContain('"GREETING":"v0"');
    const history = await cluster.cli('job', 'history', 'web', '--json');
    expect((JSON.parse(history.stdout) as unknown[]).length).toBe(3);
  });

  it('Scheduler_serverKilled_stateIntactAndTasksUntouched', async () => {
    const jobsBefore = (await cluster.api<{ id: string; version: number }[]>('/v1/jobs')).body;
    const nodesBefore = (await cluster.api<Node[]>('/v1/nodes')).body;
    const allocsBefore = (await cluster.api<Allocation[]>('/v1/allocations')).body;
    const pidsBefore = running(allocsBefore).map(pidOf).sort();
    expect(pidsBefore.every((p) => p > 0)).toBe(true);
    await cluster.server.kill(); // SIGKILL, no chance to write a snapshot
    // While the server is gone the agents keep their tasks running.
    const stoppedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_TTL_MS));
    for (const pid of pidsBefore) expect(() => process.kill(pid, 0)).not.toThrow();
    await cluster.startServer();
    console.log(`[figure] server down for ${Date.now() - stoppedAt}ms`);
    const jobsAfter = (await cluster.api<{ id: string; version: number }[]>('/v1/jobs')).body;
    expect(jobsAfter.map((j) => [j.id, j.version])).toEqual(jobsBefore.map((j) => [j.id, j.version]));
    const nodesAfter = (await cluster.api<Node[]>('/v1/nodes')).body;
    expect(nodesAfter.map((n) => [n.id, n.status]).sort()).toEqual(nodesBefore.map((n) => [n.id, n.status]).sort());
    const allocsAfter = (await cluster.api<Allocation[]>('/v1/allocations')).body;
    const view = (list: Allocation[]) => list.map((a) => [a.id, a.nodeId, a.desiredStatus, a.clientStatus, a.jobVersion].join(' ')).sort();
    expect(view(allocsAfter)).toEqual(view(allocsBefore));
    // Past one more heartbeat TTL: no node was marked down, nothing was restarted.
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_TTL_MS + HEARTBEAT_GRACE_MS));
    expect((await cluster.api<Node[]>('/v1/nodes')).body.every((n) => n.status === 'ready')).toBe(true);
    const allocsLater = (await cluster.api<Allocation[]>('/v1/allocations')).body;
    expect(running(allocsLater).map(pidOf).sort()).toEqual(pidsBefore);
    for (const pid of pidsBefore) expect(() => process.kill(pid, 0)).not.toThrow();
  });

  it('Scheduler_serverKilledRightAfterAck_jobSurvivesAndIsPlaced', async () => {
    const file = writeJob(dir.path, { id: 'acked', count: 2, fixture: 'forever.mjs' });
    const out = await cluster.cli('job', 'run', '--detach', file);
    expect(out.exitCode, out.stderr).toBe(0);
    await cluster.server.kill(); // at once: the evaluation may not have run yet
    await cluster.startServer();
    const job = await cluster.api<{ job: Job }>('/v1/job/acked');
    expect(job.status).toBe(200);
    expect(job.body.job.version).toBe(0);
    await waitFor('acked job placed after the restart', async () => running(await allocsOf('acked')).length === 2);
    expect((await cluster.cli('job', 'stop', 'acked')).exitCode).toBe(0);
    await waitFor('acked job stopped', async () => running(await allocsOf('acked')).length === 0);
  });

  it('Agent_serverUnreachable_keepsRunningAndReportsWhenBack', async () => {
    const target = running(await allocsOf('web'))[0] as Allocation;
    const oldPid = pidOf(target);
    await cluster.server.kill();
    // While the server is gone a task dies: the agent restarts it under its restart policy.
    process.kill(oldPid, 'SIGKILL');
    const agentIndex = Number(target.nodeName.slice(5)) - 1;
    await waitFor('task restarted by the agent', () => cluster.taskPids(agentIndex).some((t) => t.file.includes(target.id) && t.pid !== oldPid));
    await cluster.startServer();
    const updated = await waitFor('restart reported once the server is back', async () => {
      const alloc = (await cluster.api<{ alloc: Allocation }>(`/v1/allocation/${target.id}`)).body.alloc;
      return alloc.taskStates.main?.restarts === 1 && alloc.clientStatus === 'running' ? alloc : undefined;
    });
    expect(pidOf(updated)).not.toBe(oldPid);
    expect((await cluster.api<Node[]>('/v1/nodes')).body.every((n) => n.status === 'ready')).toBe(true);
  });

  it('Agent_restarted_reattachesToRunningTasks', async () => {
    const before = running(await allocsOf('web'));
    const onFirst = before.filter((a) => a.nodeName === 'node-1');
    expect(onFirst.length).toBeGreaterThan(0);
    const pids = onFirst.map(pidOf);
    await cluster.agents[0]?.kill(); // the agent only: its tasks run in their own process groups
    await cluster.startAgent(0);
    await waitFor('agent reattached', async () =>
      (await allocsOf('web'))
        .filter((a) => onFirst.some((o) => o.id === a.id))
        .every((a) => a.taskStates.main?.events.some((e) => e.type === 'Reattached')),
    );
    const after = running(await allocsOf('web')).filter((a) => a.nodeName === 'node-1');
    expect(after.map((a) => a.id).sort()).toEqual(onFirst.map((a) => a.id).sort());
    for (const pid of pids) expect(() => process.kill(pid, 0)).not.toThrow();
    // Reattached, not restarted: the restart counts are what they were before the agent died.
    const restarts = (list: Allocation[]) => list.map((a) => `${a.id}:${a.taskStates.main?.restarts}`).sort();
    expect(restarts(after)).toEqual(restarts(onFirst));
  });

  it('Node_drain_movesAllocationsOffAndCompletes', async () => {
    const nodes = (await cluster.api<Node[]>('/v1/nodes')).body;
    const first = nodes.find((n) => n.name === 'node-1') as Node;
    const onFirst = running(await allocsOf('web')).filter((a) => a.nodeId === first.id);
    expect(onFirst.length).toBeGreaterThan(0);
    const drained = await cluster.cli('node', 'drain', 'node-1', '--enable');
    expect(drained.exitCode, drained.stderr).toBe(0);
    await waitFor('allocations moved off node-1', async () => {
      const list = running(await allocsOf('web'));
      return list.length === 3 && list.every((a) => a.nodeId !== first.id);
    });
    const done = await waitFor('drain complete', async () => {
      const node = (await cluster.api<{ node: Node }>(`/v1/node/${first.id}`)).body.node;
      return node.drain === null ? node : undefined;
    });
    expect(done.schedulingEligibility).toBe('ineligible');
    const status = JSON.parse((await cluster.cli('node', 'status', '--json')).stdout) as Node[];
    expect(status.find((n) => n.id === first.id)?.schedulingEligibility).toBe('ineligible');
    const enabled = await cluster.cli('node', 'eligibility', 'node-1', '--enable');
    expect(enabled.exitCode, enabled.stderr).toBe(0);
  });

  it('Scheduler_agentKilled_nodeDownAndAllocReplaced', async () => {
    const allocs = running(await allocsOf('web'));
    const victim = allocs.find((a) => nodeRack.get(a.nodeId) === 'r3') as Allocation;
    const agentIndex = 2;
    const killedAt = Date.now();
    await cluster.killNode(agentIndex);
    const nodeStatus = async () => (await cluster.api<{ node: Node }>(`/v1/node/${victim.nodeId}`)).body.node.status;
    await waitFor('node-3 down', async () => (await nodeStatus()) === 'down', { timeoutMs: 20_000, intervalMs: 50 });
    const downMs = Date.now() - killedAt;
    const replacement = await waitFor(
      'replacement running elsewhere',
      async () => running(await allocsOf('web')).find((a) => a.previousAllocation === victim.id),
      { timeoutMs: 20_000 },
    );
    const replacedMs = Date.now() - killedAt;
    console.log(`[figure] node down after ${downMs}ms (ttl ${HEARTBEAT_TTL_MS}ms + grace ${HEARTBEAT_GRACE_MS}ms); replacement running after ${replacedMs}ms`);
    // The timer runs from the last heartbeat, which came at most a heartbeat interval (ttl / 3) before the kill.
    expect(downMs).toBeGreaterThanOrEqual(HEARTBEAT_TTL_MS + HEARTBEAT_GRACE_MS - HEARTBEAT_TTL_MS / 3 - 250);
    expect(downMs).toBeLessThan(HEARTBEAT_TTL_MS + HEARTBEAT_GRACE_MS + 1_500);
    expect(replacement.nodeId).not.toBe(victim.nodeId);
    expect(replacement.name).toBe(victim.name);
    const lost = (await cluster.api<{ alloc: Allocation }>(`/v1/allocation/${victim.id}`)).body.alloc;
    expect(lost.clientStatus).toBe('lost');
    // The node comes back: it is ready again, and does not resurrect the lost allocation.
    await cluster.startAgent(agentIndex);
    await waitFor('node-3 ready again', async () => (await nodeStatus()) === 'ready');
    expect(running(await allocsOf('web')).length).toBe(3);
  });

  it('Scheduler_taskExitsNonZero_restartedThenRescheduledElsewhere', async () => {
    await runJob({ id: 'crashy', count: 1, fixture: 'exits-nonzero.mjs', args: ['3', '100'], restartAttempts: 2, restartDelayMs: 200 });
    const first = await waitFor('first allocation failed', async () => (await allocsOf('crashy')).find((a) => !a.previousAllocation && a.clientStatus === 'failed'), { timeoutMs: 30_000 });
    expect(first.taskStates.main?.restarts).toBe(2);
    expect(first.taskStates.main?.failed).toBe(true);
    const agentDir = join(dir.path, `agent-${Number(first.nodeName.slice(5)) - 1}`);
    const starts = readFileSync(join(agentDir, 'allocs', first.id, 'alloc', 'starts.log'), 'utf8').trim().split('\n');
    expect(starts.length).toBe(3); // the first start and two restarts
    const next = await waitFor('rescheduled allocation', async () => (await allocsOf('crashy')).find((a) => a.previousAllocation === first.id), { timeoutMs: 30_000 });
    expect(next.nodeId).not.toBe(first.nodeId);
    expect(next.rescheduleTracker?.events.length).toBe(1);
    // The replacement waited for the policy's 5 s delay (a delayed evaluation held by the broker).
    const waitedMs = next.createTimeMs - (first.taskStates.main?.finishedAtMs ?? 0);
    console.log(`[figure] failed allocation replaced ${waitedMs}ms after its failure (reschedule delay 5000ms)`);
    expect(waitedMs).toBeGreaterThanOrEqual(4_900);
    const stopped = await cluster.cli('job', 'stop', 'crashy');
    expect(stopped.exitCode, stopped.stderr).toBe(0);
  });

  it('SchedulerApi_missingOrWrongToken_401And403', async () => {
    expect((await cluster.api('/v1/jobs', { token: null })).status).toBe(401);
    expect((await cluster.api('/v1/jobs', { token: 'not-the-token' })).status).toBe(403);
    expect((await cluster.api('/v1/node/register', { method: 'POST', body: {}, token: null })).status).toBe(401);
    expect((await cluster.api('/v1/nodes')).status).toBe(200);
    const bad = await cluster.api<{ error: string }>('/v1/jobs', {
      method: 'POST',
      body: { jobspec: 'job "bad" {\n  group "g" {\n    count = -1\n  }\n}\n', format: 'hcl', source: 'bad.hcl' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/count/);
    const wrong = await cluster.cli('job', 'status', '--token', 'wrong-token-value');
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toContain('403');
    expect(wrong.stderr).not.toContain('wrong-token-value');
  });
});
