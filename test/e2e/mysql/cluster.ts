import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { readClusterStatus, type ClusterStatus } from '../../../bin/commands/status.js';
import { silentLogger } from '../../../common/logger.js';
import { loadPilotfishConfig } from '../../../supervisor/config.js';
import type { Coordinator } from '../../../coordination/coordinator.js';
import { createCoordinator } from '../../../coordination/factory.js';
import { mysqlLocal } from '../../../recipes/mysql/local.js';
import { ensureSecrets, loadOrCreateLayout, localSecrets, readLocalSecret, writeLocalConfigs, type LocalLayout } from '../../../supervisor/local/local-layout.js';
import { startEtcd, type EtcdHandle } from '../../support/etcd.js';
import { pilotfishBin } from '../../support/paths.js';
import { freePort } from '../../support/ports.js';
import { killRecorded, recordPid, spawnTracked, type TrackedProcess } from '../../support/processes.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

/** Short intervals so scenarios finish in seconds: HA loop 500 ms, lease TTL 5 s. */
export const FAST_ENV: Record<string, string> = {
  PILOTFISH_HA__LOOP_WAIT: '500ms',
  PILOTFISH_COORDINATOR__ETCD__TTL: '5s',
};

/**
 * A cluster of real supervisors (`pilotfish supervise`, the built CLI) with real MariaDB and etcd,
 * laid out exactly like `pilotfish up` lays it out. Every process is recorded by PID and killed on
 * `destroy`, including the database servers, which run in their own process groups.
 */
export class TestCluster {
  readonly supervisors = new Map<string, TrackedProcess>();
  private coordinatorInstance: Coordinator | undefined;

  private constructor(
    readonly dir: string,
    readonly layout: LocalLayout,
    readonly configs: { cluster: string; members: string[] },
    readonly etcd: EtcdHandle | null,
    private readonly env: Record<string, string>,
    private readonly remove: () => void,
  ) {}

  /**
   * `overrides` replaces top-level configuration sections (`objectStore`, `coordinator`); without a
   * `coordinator` override the cluster gets its own real etcd.
   */
  static async create(members: number, options: { env?: Record<string, string>; overrides?: Record<string, unknown> } = {}): Promise<TestCluster> {
    const tmp = tempDir('pf-e2e-');
    const overrides = options.overrides ?? {};
    const etcd = overrides.coordinator ? null : await startEtcd();
    const recipe = { name: 'mysql', local: mysqlLocal };
    const layout = await loadOrCreateLayout(tmp.path, members, freePort, recipe);
    if (etcd) layout.etcd.clientPort = Number(new URL(etcd.endpoint).port);
    ensureSecrets(tmp.path, localSecrets(mysqlLocal));
    mkdirSync(join(tmp.path, 'logs'), { recursive: true });
    const configs = writeLocalConfigs(layout, overrides, recipe);
    const env: Record<string, string> = { ...(etcd ? FAST_ENV : { PILOTFISH_HA__LOOP_WAIT: '500ms' }), ...options.env };
    // PILOTFISH_E2E_REPLICATION_MODE=semisync runs the same scenarios with semi-synchronous replication.
    if (process.env.PILOTFISH_E2E_REPLICATION_MODE) env.PILOTFISH_RECIPE__MYSQL__REPLICATION_MODE = process.env.PILOTFISH_E2E_REPLICATION_MODE;
    return new TestCluster(tmp.path, layout, configs, etcd, env, tmp.remove);
  }

  get names(): string[] {
    return this.layout.members.map((m) => m.name);
  }

  member(name: string) {
    const index = this.names.indexOf(name);
    const m = this.layout.members[index]!;
    const base = join(this.dir, 'members', name);
    return { ...m, config: this.configs.members[index]!, dataDir: join(base, 'data'), runDir: join(base, 'run'), log: join(this.dir, 'logs', `${name}.log`) };
  }

  secret(name: string): string {
    return readLocalSecret(this.dir, name);
  }

  /** Starts (or restarts) one member's supervisor. */
  start(name: string, env: Record<string, string> = {}): TrackedProcess {
    const m = this.member(name);
    const proc = spawnTracked(process.execPath, [pilotfishBin, 'supervise', '-c', m.config], {
      logFile: m.log,
      env: { ...process.env, ...this.env, ...env },
    });
    this.supervisors.set(name, proc);
    return proc;
  }

  /** PID of a member's mariadbd from its pid file, when it runs. */
  mysqldPid(name: string): number | null {
    const file = join(this.member(name).runDir, 'mysqld.pid');
    if (!existsSync(file)) return null;
    const pid = Number(readFileSync(file, 'utf8').trim());
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return null;
    }
  }

  async coordinator(): Promise<Coordinator> {
    if (!this.coordinatorInstance) {
      const config = await loadPilotfishConfig(this.configs.cluster, {});
      this.coordinatorInstance = await createCoordinator(config.coordinator, { cluster: config.cluster, logger: silentLogger() });
    }
    return this.coordinatorInstance;
  }

  status(): Promise<ClusterStatus> {
    return readClusterStatus(this.configs.cluster);
  }

  /** Waits for one healthy primary and `replicas` healthy replicas; records the servers' PIDs. */
  async waitForHealthy(replicas: number, timeoutMs = 60_000): Promise<ClusterStatus> {
    const status = await waitFor(
      `one primary and ${replicas} healthy replicas`,
      async () => {
        const s = await this.status();
        const primaries = s.members.filter((m) => m.role === 'primary' && m.healthy);
        const healthyReplicas = s.members.filter((m) => m.role === 'replica' && m.healthy);
        return primaries.length === 1 && healthyReplicas.length === replicas ? s : null;
      },
      { timeoutMs, intervalMs: 250 },
    );
    for (const name of this.names) {
      const pid = this.mysqldPid(name);
      if (pid) recordPid(pid);
    }
    return status;
  }

  async primary(): Promise<string> {
    const s = await this.status();
    return s.members.find((m) => m.role === 'primary')!.name;
  }

  /** An application-user connection to a member's MariaDB. */
  app(name: string): Promise<mysql.Connection> {
    return mysql.createConnection({ host: '127.0.0.1', port: this.member(name).port, user: 'app', password: this.secret('app-password'), database: 'app' });
  }

  /** A root connection over the member's socket. */
  root(name: string): Promise<mysql.Connection> {
    return mysql.createConnection({ socketPath: join(this.member(name).runDir, 'mysqld.sock'), user: 'root', password: this.secret('root-password') });
  }

  async count(name: string, table = 't'): Promise<number> {
    const conn = await this.app(name);
    try {
      const [rows] = await conn.query(`SELECT COUNT(*) AS n FROM ${table}`);
      return Number((rows as { n: number }[])[0]?.n);
    } finally {
      await conn.end();
    }
  }

  logs(name: string): string {
    return existsSync(this.member(name).log) ? readFileSync(this.member(name).log, 'utf8') : '';
  }

  errorLog(name: string): string {
    const file = join(this.member(name).runDir, 'error.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  /** Every file under the state directory's logs and run directories, concatenated. */
  allLogText(): string {
    const out: string[] = [];
    for (const name of readdirSync(join(this.dir, 'logs'))) out.push(readFileSync(join(this.dir, 'logs', name), 'utf8'));
    for (const name of this.names) out.push(this.errorLog(name));
    return out.join('\n');
  }

  async destroy(): Promise<void> {
    await this.coordinatorInstance?.close().catch(() => undefined);
    await Promise.all([...this.supervisors.values()].map((p) => p.stop(30_000)));
    for (const name of this.names) {
      const pid = this.mysqldPid(name);
      if (pid) killRecorded(pid);
    }
    await this.etcd?.stop();
    // PILOTFISH_KEEP_E2E=1 keeps the state directory (logs, data) for a post-mortem.
    if (process.env.PILOTFISH_KEEP_E2E) console.log(`kept ${this.dir}`);
    else this.remove();
  }
}
