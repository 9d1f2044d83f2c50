import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Allocation, Node } from '../../../scheduler/structs/index.js';
import { pilotfishBin } from '../../support/paths.js';
import { freePort } from '../../support/ports.js';
import { killRecorded, spawnTracked, type TrackedProcess } from '../../support/processes.js';
import { waitFor } from '../../support/wait.js';

/**
 * A scheduler cluster for the data tests: one server and agents with chosen racks and host
 * volumes (`node-<i+1>`), on 127.0.0.1. Teardown kills agents, server and every task recorded in
 * the agents' pid files.
 */
export interface AgentSpec {
  rack: string;
  hostVolumes?: Record<string, { path: string; readOnly?: boolean }>;
  /** More agent.yaml lines (e.g. GC settings). */
  extra?: string[];
}

export const HEARTBEAT_TTL_MS = 3_000;
export const HEARTBEAT_GRACE_MS = 1_000;

export interface DataCluster {
  readonly token: string;
  agentDir(i: number): string;
  api<T>(path: string, init?: { method?: string; body?: unknown; token?: string | null }): Promise<{ status: number; body: T }>;
  cli(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  nodes(): Promise<Node[]>;
  allocs(jobId: string): Promise<Allocation[]>;
  /** The JSON lines the task `main` of `alloc` printed. */
  taskReports(alloc: Allocation): Record<string, unknown>[];
  /** Index of the agent that runs node `nodeId`. */
  agentOf(nodeId: string): Promise<number>;
  killNode(i: number): Promise<void>;
  teardown(): Promise<void>;
}

export async function startDataCluster(root: string, specs: readonly AgentSpec[], serverYamlExtra = ''): Promise<DataCluster> {
  const address = `127.0.0.1:${await freePort()}`;
  const token = randomBytes(18).toString('hex');
  const serverYaml = join(root, 'server.yaml');
  writeFileSync(
    serverYaml,
    `address: ${address}\ndataDir: ${join(root, 'server')}\nmanagementToken: ${token}\nheartbeatTtl: ${HEARTBEAT_TTL_MS}ms\nheartbeatGrace: ${HEARTBEAT_GRACE_MS}ms\n${serverYamlExtra}`,
  );
  const agentDir = (i: number) => join(root, `agent-${i}`);
  const agents: (TrackedProcess | undefined)[] = [];
  const api: DataCluster['api'] = async (path, init = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const presented = init.token === undefined ? token : init.token;
    if (presented !== null) headers.authorization = `Bearer ${presented}`;
    const response = await fetch(`http://${address}${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as never };
  };
  const taskPids = (i: number) => {
    const allocs = join(agentDir(i), 'allocs');
    if (!existsSync(allocs)) return [];
    return readdirSync(allocs).flatMap((alloc) =>
      existsSync(join(allocs, alloc, 'main', 'task.pid')) ? [JSON.parse(readFileSync(join(allocs, alloc, 'main', 'task.pid'), 'utf8')) as { pid: number; startTime: string }] : [],
    );
  };
  const server = spawnTracked('node', [pilotfishBin, 'server', '-c', serverYaml], { logFile: join(root, 'server.log') });
  await waitFor('server API', async () => (await api('/v1/status')).status === 200, { timeoutMs: 20_000 });
  specs.forEach((spec, i) => {
    const volumes = Object.entries(spec.hostVolumes ?? {})
      .map(([name, v]) => `  ${name}: { path: ${v.path}, read_only: ${v.readOnly ?? false} }`)
      .join('\n');
    const yaml = join(root, `agent-${i}.yaml`);
    writeFileSync(
      yaml,
      [
        `server: ${address}`,
        `token: ${token}`,
        `dataDir: ${agentDir(i)}`,
        `name: node-${i + 1}`,
        'datacenter: dc1',
        `meta: { rack: ${spec.rack} }`,
        'resources: { cpuMhz: 4000, memoryMb: 4096, diskMb: 20000 }',
        'diskWatchIntervalMs: 200',
        // a killed node stays dead in these tests: do not wait the default 30 s for it to return
        'migrateWaitForDownNode: 2s',
        ...(volumes ? ['host_volume:', volumes] : []),
        ...(spec.extra ?? []),
        '',
      ].join('\n'),
    );
    agents[i] = spawnTracked('node', [pilotfishBin, 'agent', '-c', yaml], { logFile: join(root, `agent-${i}.log`) });
  });
  const cluster: DataCluster = {
    token,
    agentDir,
    api,
    async cli(...args) {
      const out = await execa('node', [pilotfishBin, ...args], { env: { PILOTFISH_ADDR: address, PILOTFISH_TOKEN: token }, reject: false, timeout: 60_000 });
      return { exitCode: out.exitCode ?? -1, stdout: String(out.stdout), stderr: String(out.stderr) };
    },
    nodes: async () => (await api<Node[]>('/v1/nodes')).body,
    allocs: async (jobId) => (await api<Allocation[]>(`/v1/job/${jobId}/allocations`)).body,
    taskReports(alloc) {
      const i = Number(alloc.nodeName.slice('node-'.length)) - 1;
      const file = join(agentDir(i), 'allocs', alloc.id, 'alloc', 'logs', 'main.stdout.0');
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    async agentOf(nodeId) {
      const node = (await cluster.nodes()).find((n) => n.id === nodeId);
      return Number(node?.name.slice('node-'.length)) - 1;
    },
    async killNode(i) {
      await agents[i]?.kill();
      for (const task of taskPids(i)) killRecorded(task.pid, task.startTime);
    },
    async teardown() {
      await Promise.all([server.kill(), ...agents.map((a) => a?.kill())]);
      for (let i = 0; i < specs.length; i++) for (const task of taskPids(i)) killRecorded(task.pid, task.startTime);
    },
  };
  await waitFor(
    `${specs.length} ready nodes`,
    async () => {
      const nodes = await cluster.nodes();
      return nodes.length === specs.length && nodes.every((n) => n.status === 'ready');
    },
    { timeoutMs: 30_000 },
  ).catch(async (err: unknown) => {
    await cluster.teardown();
    throw err;
  });
  return cluster;
}
