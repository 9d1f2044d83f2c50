import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { PilotfishError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { writePrivateFile } from '../../common/private-file.js';
import { ApiClient } from '../../scheduler/api/client.js';
import type { ChildKeeper } from '../../process/keeper.js';
import { freeLoopbackPort, freeLoopbackPortRange } from './free-port.js';
import { keeper, PILOTFISH_BIN } from './local-cluster.js';
import { setJobMeta } from './job-meta.js';
import type { LocalSchedulerJob } from '../../recipes/recipe.js';
import type { LocalLayout } from './local-layout.js';

/** Ports of the local scheduler, kept in `up.json` next to etcd's. */
export interface LocalSchedulerLayout {
  serverPort: number;
  /** The first member's application port; the others use the next ones (the job derives them from the alloc index). */
  appPortBase: number;
  statusPortBase: number;
}

/** Adds the scheduler's ports to `up.json` on first use (consecutive ranges for the members). */
export async function ensureSchedulerLayout(
  layout: LocalLayout & { scheduler?: LocalSchedulerLayout & { mysqlPortBase?: number } },
  members: number,
): Promise<LocalSchedulerLayout> {
  // State directories written before the port base had a recipe-neutral name.
  if (layout.scheduler && layout.scheduler.appPortBase === undefined && layout.scheduler.mysqlPortBase !== undefined) {
    layout.scheduler = { serverPort: layout.scheduler.serverPort, appPortBase: layout.scheduler.mysqlPortBase, statusPortBase: layout.scheduler.statusPortBase };
  }
  if (!layout.scheduler) {
    layout.scheduler = { serverPort: await freeLoopbackPort(), appPortBase: await freeLoopbackPortRange(members), statusPortBase: 0 };
    do layout.scheduler.statusPortBase = await freeLoopbackPortRange(members);
    while (Math.abs(layout.scheduler.statusPortBase - layout.scheduler.appPortBase) < members);
    writeFileSync(join(layout.dir, 'up.json'), `${JSON.stringify({ ...layout, dir: undefined }, null, 2)}\n`);
  }
  return layout.scheduler;
}

/** Rack of node `i` (0-based): r1, r2, r3, r1, … */
export const rackOf = (i: number) => `r${(i % 3) + 1}`;

/**
 * A local scheduler: one server and `nodes` agents (`node-1`… on racks r1–r3 in turn), all state
 * under `<dir>/scheduler/`, each process kept running like the members of `up`. The management
 * token is generated once into `secrets/scheduler-token`; server.yaml and agent files are 0600.
 */
export class LocalScheduler {
  private readonly server: ChildKeeper;
  private readonly agents: ChildKeeper[];
  readonly address: string;
  readonly token: string;
  readonly api: ApiClient;

  constructor(
    private readonly layout: LocalLayout,
    sched: LocalSchedulerLayout,
    nodes: number,
    logger: Logger,
  ) {
    const root = join(layout.dir, 'scheduler');
    const logs = join(layout.dir, 'logs');
    mkdirSync(root, { recursive: true, mode: 0o700 });
    mkdirSync(logs, { recursive: true, mode: 0o700 });
    const tokenFile = join(layout.dir, 'secrets', 'scheduler-token');
    if (!existsSync(tokenFile)) writePrivateFile(tokenFile, randomBytes(24).toString('hex'));
    this.token = readFileSync(tokenFile, 'utf8').trim();
    this.address = `127.0.0.1:${sched.serverPort}`;
    this.api = new ApiClient({ address: this.address, token: this.token });
    const serverYaml = join(root, 'server.yaml');
    writePrivateFile(serverYaml, stringify({ address: this.address, dataDir: join(root, 'server'), managementToken: this.token, heartbeatTtl: '5s', heartbeatGrace: '5s', logLevel: 'warn' }));
    this.server = keeper('server', process.execPath, [PILOTFISH_BIN, 'server', '-c', serverYaml], join(logs, 'server.log'), logger, 10_000);
    this.agents = Array.from({ length: nodes }, (_, i) => {
      const name = `node-${i + 1}`;
      const file = join(root, `${name}.yaml`);
      writePrivateFile(
        file,
        stringify({
          server: this.address,
          token: this.token,
          dataDir: join(root, name),
          name,
          datacenter: 'dc1',
          meta: { rack: rackOf(i) },
          resources: { cpuMhz: 4000, memoryMb: 4096, diskMb: 20_000 },
          logLevel: 'warn',
        }),
      );
      return keeper(name, process.execPath, [PILOTFISH_BIN, 'agent', '-c', file], join(logs, `${name}.log`), logger, 10_000);
    });
  }

  /** Starts the server, waits for its API, then starts the agents. */
  async start(timeoutMs = 30_000): Promise<void> {
    this.server.start();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const up = await this.api.request('GET', '/v1/status', undefined, { timeoutMs: 1000 }).then(() => true, () => false);
      if (up) break;
      if (Date.now() > deadline) throw new PilotfishError('PROCESS_FAILED', `scheduler server did not answer at ${this.address} within ${timeoutMs}ms; see logs/server.log`);
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const agent of this.agents) agent.start();
  }

  /**
   * Registers the recipe's job file pointed at this cluster: the CLI, the member configuration
   * template and the port bases go into the job's meta.
   */
  async runJob(job: LocalSchedulerJob, memberTemplate: string, sched: LocalSchedulerLayout): Promise<void> {
    const jobspec = setJobMeta(readFileSync(job.file, 'utf8'), {
      pilotfish: `${process.execPath} ${PILOTFISH_BIN}`,
      config: memberTemplate,
      [job.portMetaKey]: String(sched.appPortBase),
      status_port_base: String(sched.statusPortBase),
      host: '127.0.0.1',
    });
    await this.api.post('/v1/jobs', { jobspec, format: 'hcl', source: basename(job.file) });
  }

  /**
   * Stops the job (each supervisor gets SIGTERM: a primary hands over, its application stops
   * cleanly), waits until no allocation runs (at most `timeoutMs`), then stops the agents and the server.
   */
  async stop(jobId: string, timeoutMs = 180_000): Promise<void> {
    await this.api.delete(`/v1/job/${jobId}?namespace=default`).catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const allocs = await this.api.get<{ clientStatus: string }[]>(`/v1/job/${jobId}/allocations`).catch(() => []);
      if (allocs.every((a) => a.clientStatus !== 'running' && a.clientStatus !== 'pending')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await Promise.all(this.agents.map((a) => a.stop()));
    await this.server.stop();
  }
}

/**
 * Writes `<dir>/scheduler/member.yaml`: the cluster file plus the recipe settings every member
 * shares. The job supplies the rest per allocation through PILOTFISH_* overrides (name, ports,
 * server id, data directory inside the allocation).
 */
export function writeMemberTemplate(layout: LocalLayout, clusterFile: string, recipe: string, section: Record<string, unknown>): string {
  const config = parse(readFileSync(clusterFile, 'utf8')) as Record<string, unknown>;
  const file = join(layout.dir, 'scheduler', 'member.yaml');
  mkdirSync(join(layout.dir, 'scheduler'), { recursive: true, mode: 0o700 });
  writeFileSync(file, `# written by pilotfish up --scheduler; per-member values come from the job\n${stringify({ ...config, recipe: { [recipe]: section } })}`);
  return file;
}
