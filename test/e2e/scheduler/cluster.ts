import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { pilotfishBin } from '../../support/paths.js';
import { freePort } from '../../support/ports.js';
import { killRecorded, spawnTracked, type TrackedProcess } from '../../support/processes.js';
import { waitFor } from '../../support/wait.js';

/**
 * A real scheduler cluster for e2e tests: one `pilotfish server` and three `pilotfish agent`
 * processes on 127.0.0.1, each agent with its own data directory, name `node-<i>` and rack
 * `r<i>`. Tasks run detached from their agent (they survive agent restarts), so teardown also
 * kills every task recorded in the agents' pid files.
 */
export interface Cluster {
  readonly root: string;
  readonly address: string;
  readonly token: string;
  server: TrackedProcess;
  readonly agents: (TrackedProcess | undefined)[];
  /** Starts (or restarts) the server with the same config and data directory. */
  startServer(): Promise<void>;
  /** Starts (or restarts) agent `i` (0-based) with the same config and data directory. */
  startAgent(i: number): Promise<void>;
  /** Runs the built CLI with the cluster's address and token in the environment. */
  cli(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** GET/POST against the API with the management token; returns the parsed body. */
  api<T>(path: string, init?: { method?: string; body?: unknown; token?: string | null }): Promise<{ status: number; body: T }>;
  /** `{pid, startTime}` of every task pid file under agent `i`. */
  taskPids(i: number): { pid: number; startTime: string; file: string }[];
  /** Kills agent `i` and every task it started, as if the machine died. */
  killNode(i: number): Promise<void>;
  teardown(): Promise<void>;
}

export const HEARTBEAT_TTL_MS = 3_000;
export const HEARTBEAT_GRACE_MS = 1_000;

export async function startCluster(root: string): Promise<Cluster> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const token = randomBytes(18).toString('hex');
  const serverYaml = join(root, 'server.yaml');
  writeFileSync(
    serverYaml,
    [
      `address: ${address}`,
      `dataDir: ${join(root, 'server')}`,
      `managementToken: ${token}`,
      `heartbeatTtl: ${HEARTBEAT_TTL_MS}ms`,
      `heartbeatGrace: ${HEARTBEAT_GRACE_MS}ms`,
      '',
    ].join('\n'),
  );
  const agentYaml = (i: number) => join(root, `agent-${i}.yaml`);
  const agentDir = (i: number) => join(root, `agent-${i}`);
  for (let i = 0; i < 3; i++) {
    writeFileSync(
      agentYaml(i),
      [
        `server: ${address}`,
        `token: ${token}`,
        `dataDir: ${agentDir(i)}`,
        `name: node-${i + 1}`,
        'datacenter: dc1',
        `meta: { rack: r${i + 1} }`,
        'resources: { cpuMhz: 4000, memoryMb: 4096, diskMb: 20000 }',
        '',
      ].join('\n'),
    );
  }

  const api: Cluster['api'] = async (path, init = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const presented = init.token === undefined ? token : init.token;
    if (presented !== null) headers.authorization = `Bearer ${presented}`;
    const response = await fetch(`http://${address}${path}`, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as never };
  };

  const cluster: Cluster = {
    root,
    address,
    token,
    server: undefined as unknown as TrackedProcess,
    agents: [undefined, undefined, undefined],
    async startServer() {
      cluster.server = spawnTracked('node', [pilotfishBin, 'server', '-c', serverYaml], { logFile: join(root, 'server.log') });
      await waitFor('server API', async () => (await api('/v1/status')).status === 200, { timeoutMs: 20_000 });
    },
    async startAgent(i) {
      cluster.agents[i] = spawnTracked('node', [pilotfishBin, 'agent', '-c', agentYaml(i)], { logFile: join(root, `agent-${i}.log`) });
    },
    async cli(...args) {
      const out = await execa('node', [pilotfishBin, ...args], {
        env: { PILOTFISH_ADDR: address, PILOTFISH_TOKEN: token },
        reject: false,
        timeout: 60_000,
      });
      return { exitCode: out.exitCode ?? -1, stdout: String(out.stdout), stderr: String(out.stderr) };
    },
    api,
    taskPids(i) {
      const allocs = join(agentDir(i), 'allocs');
      if (!existsSync(allocs)) return [];
      const out: { pid: number; startTime: string; file: string }[] = [];
      for (const alloc of readdirSync(allocs)) {
        for (const entry of readdirSync(join(allocs, alloc))) {
          const file = join(allocs, alloc, entry, 'task.pid');
          if (existsSync(file)) out.push({ ...(JSON.parse(readFileSync(file, 'utf8')) as { pid: number; startTime: string }), file });
        }
      }
      return out;
    },
    async killNode(i) {
      await cluster.agents[i]?.kill();
      for (const task of cluster.taskPids(i)) killRecorded(task.pid, task.startTime);
    },
    async teardown() {
      await Promise.all([cluster.server?.kill(), ...cluster.agents.map((a) => a?.kill())]);
      for (let i = 0; i < 3; i++) for (const task of cluster.taskPids(i)) killRecorded(task.pid, task.startTime);
    },
  };
  await cluster.startServer();
  for (let i = 0; i < 3; i++) await cluster.startAgent(i);
  await waitFor(
    'three ready nodes',
    async () => {
      const nodes = (await api<{ status: string }[]>('/v1/nodes')).body;
      return nodes.length === 3 && nodes.every((n) => n.status === 'ready');
    },
    { timeoutMs: 30_000 },
  );
  return cluster;
}
