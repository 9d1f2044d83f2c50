import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Allocation, Node } from '../../../scheduler/structs/index.js';
import { repoRoot } from '../../support/paths.js';
import { killRecorded } from '../../support/processes.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { type Cluster, HEARTBEAT_GRACE_MS, HEARTBEAT_TTL_MS, startCluster } from './cluster.js';

/**
 * Sticky data across a whole-cluster stop, with real processes (server, three agents, tasks that
 * keep `owner.txt` in their data directory): every process stops, the cluster starts again, and the
 * allocations that come back — replacements or the same allocations — find the data.
 */

let dir: { path: string; remove(): void };
let cluster: Cluster;
const fixture = join(repoRoot, 'test', 'fixtures', 'data-keeper.mjs');
const nodeIds: string[] = [];

const JOB = `job "keep" {
  datacenters = ["dc1"]
  group "g" {
    count = 2
    restart {
      attempts = 0
      mode     = "fail"
    }
    ephemeral_disk {
      size    = 50
      sticky  = true
      migrate = true
    }
    task "main" {
      driver       = "exec"
      kill_timeout = "2s"
      config {
        command = "node"
        args    = ["${fixture}"]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`;

const agentOf = (nodeId: string) => nodeIds.indexOf(nodeId);

type Report = { alloc: string; found: string | null; dataLost: string | null };

/** The lines the task printed (one per start). */
function reports(alloc: Allocation): Report[] {
  const file = join(cluster.root, `agent-${agentOf(alloc.nodeId)}`, 'allocs', alloc.id, 'alloc', 'logs', 'main.stdout.0');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Report);
}

const lastReport = (alloc: Allocation): Report | undefined => reports(alloc).at(-1);

async function allocs(): Promise<Allocation[]> {
  return (await cluster.api<Allocation[]>('/v1/job/keep/allocations')).body;
}

async function twoRunning(what: string, match: (a: Allocation) => boolean = () => true): Promise<Allocation[]> {
  return waitFor(
    what,
    async () => {
      const list = (await allocs()).filter((a) => a.desiredStatus === 'run' && a.clientStatus === 'running' && match(a));
      return list.length === 2 && list.every((a) => lastReport(a)?.alloc === a.id) ? list : undefined;
    },
    { timeoutMs: 60_000 },
  );
}

/** Every process of the cluster goes away: agents (and, as on a machine shutdown, their tasks), then the server. */
async function stopEverything(how: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const tasks = [0, 1, 2].flatMap((i) => cluster.taskPids(i));
  if (how === 'SIGKILL') await Promise.all([cluster.server.kill(), ...cluster.agents.map((a) => a?.kill())]);
  else await Promise.all(cluster.agents.map((a) => a?.stop()));
  for (const task of tasks) killRecorded(task.pid, task.startTime);
  if (how === 'SIGTERM') await cluster.server.stop();
}

/** Owner written by the first generation of each allocation name. */
const owners = new Map<string, string>();

beforeAll(async () => {
  dir = tempDir('pf-restart-');
  cluster = await startCluster(dir.path);
  const nodes = (await cluster.api<Node[]>('/v1/nodes')).body.sort((a, b) => a.name.localeCompare(b.name));
  nodeIds.push(...nodes.map((n) => n.id));
});

afterAll(async () => {
  await cluster?.teardown();
  dir?.remove();
});

describe('sticky data across a whole-cluster stop', () => {
  it('StickyDisk_nodesDownThenBackOneByOne_replacementsPullTheirData', async () => {
    // keep node-1 empty so that, coming back first, it receives both replacements
    await cluster.api(`/v1/node/${nodeIds[0]}/eligibility`, { method: 'POST', body: { eligible: false } });
    writeFileSync(join(dir.path, 'keep.hcl'), JOB);
    const run = await cluster.cli('job', 'run', join(dir.path, 'keep.hcl'));
    expect(run.exitCode, run.stderr).toBe(0);
    const first = await twoRunning('two allocations running');
    for (const a of first) {
      expect(lastReport(a)?.found).toBeNull();
      owners.set(a.name, a.id);
    }
    await cluster.api(`/v1/node/${nodeIds[0]}/eligibility`, { method: 'POST', body: { eligible: true } });

    // The agents (and their tasks) go first; the server outlives them long enough to mark their
    // nodes down and the allocations lost, then stops too.
    const tasks = [0, 1, 2].flatMap((i) => cluster.taskPids(i));
    await Promise.all(cluster.agents.map((a) => a?.stop()));
    for (const task of tasks) killRecorded(task.pid, task.startTime);
    // nodes go down one by one: lost allocations are replaced on nodes not yet marked down, which
    // are lost in turn, until every node is down and nothing runs
    await waitFor(
      'every node down, every allocation lost',
      async () => (await cluster.api<Node[]>('/v1/nodes')).body.every((n) => n.status === 'down') && (await allocs()).every((a) => a.clientStatus === 'lost'),
      { timeoutMs: 20_000 },
    );
    await cluster.server.stop();

    const t0 = Date.now();
    await cluster.startServer();
    await cluster.startAgent(0);
    await waitFor('node-1 ready', async () => (await cluster.api<Node[]>('/v1/nodes')).body.find((n) => n.id === nodeIds[0])?.status === 'ready', { timeoutMs: 20_000 });
    // both replacements land on node-1, the only node back, and wait there for their data's nodes
    await waitFor(
      'both replacements placed on node-1',
      async () => (await allocs()).filter((a) => a.desiredStatus === 'run' && a.nodeId === nodeIds[0] && !first.some((f) => f.id === a.id)).length === 2,
      { timeoutMs: 20_000 },
    );
    await cluster.startAgent(1);
    await cluster.startAgent(2);
    const back = await twoRunning('replacements running', (a) => !first.some((f) => f.id === a.id));
    console.log(`[figure] whole-cluster restart (nodes back one by one) to replacements running with their data: ${Date.now() - t0}ms`);
    for (const a of back) {
      expect(lastReport(a), JSON.stringify(a.taskStates.main?.events)).toMatchObject({ found: owners.get(a.name), dataLost: null });
      expect(a.taskStates.main?.events.some((e) => e.type === 'Migrated')).toBe(true);
    }
  });

  it('StickyDisk_everythingSigkilledAndRestarted_allocationsComeBackWithTheirData', async () => {
    const before = await twoRunning('two allocations running');
    const starts = new Map(before.map((a) => [a.name, reports(a).length]));
    await stopEverything('SIGKILL');
    const t0 = Date.now();
    await cluster.startServer();
    for (const i of [0, 1, 2]) await cluster.startAgent(i);
    // the same allocations or replacements: either way a new start of each name, with the data
    const back = await twoRunning('allocations started again', (a) => before.some((b) => b.id === a.id) ? reports(a).length > starts.get(a.name)! : true);
    console.log(`[figure] SIGKILL of every process to both allocations started again: ${Date.now() - t0}ms`);
    for (const a of back) expect(lastReport(a), JSON.stringify(a.taskStates.main?.events)).toMatchObject({ found: owners.get(a.name), dataLost: null });
  });

  it('StickyDisk_jobStoppedEverythingStoppedThenRunAgain_newAllocationsResumeTheData', async () => {
    const before = await twoRunning('two allocations running');
    const stop = await cluster.cli('job', 'stop', 'keep');
    expect(stop.exitCode, stop.stderr).toBe(0);
    await waitFor('allocations complete', async () => (await allocs()).every((a) => a.clientStatus !== 'running' && a.clientStatus !== 'pending'), { timeoutMs: 20_000 });
    await stopEverything('SIGTERM');
    await cluster.startServer();
    const run = await cluster.cli('job', 'run', join(dir.path, 'keep.hcl'));
    expect(run.exitCode, run.stderr).toBe(0);
    // The machines come back slower than the server: past the normal heartbeat TTL and grace.
    // The restarted server gives the nodes it knows its failover TTL, so none is marked down and
    // the allocations it placed on them are the ones that start.
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_TTL_MS + HEARTBEAT_GRACE_MS + 500));
    for (const i of [0, 1, 2]) await cluster.startAgent(i);
    const back = await twoRunning('resumed allocations running', (a) => before.some((b) => b.id === a.previousAllocation));
    expect((await cluster.api<Node[]>('/v1/nodes')).body.map((n) => n.status)).toEqual(['ready', 'ready', 'ready']);
    for (const a of back) {
      expect(before.find((b) => b.id === a.previousAllocation)?.name).toBe(a.name);
      expect(lastReport(a)).toMatchObject({ found: owners.get(a.name), dataLost: null });
    }
  });
});
