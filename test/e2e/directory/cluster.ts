import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Catalog } from '../../../backup/catalog.js';
import { FsObjectStore } from '../../../backup/object-store/fs.js';
import type { Manifest } from '../../../backup/manifest.js';
import { silentLogger } from '../../../common/logger.js';
import { startEtcd, type EtcdHandle } from '../../support/etcd.js';
import { pilotfishBin, repoRoot } from '../../support/paths.js';
import { freePort } from '../../support/ports.js';
import { killRecorded, recordPid, spawnTracked, type TrackedProcess } from '../../support/processes.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

/** The fixture application: appends numbered, fsynced lines to files in its data directory. */
export const WRITER = join(repoRoot, 'test', 'fixtures', 'apps', 'append-writer.mjs');

/** HA loop 500 ms, lease TTL 5 s (the same timings as the MySQL end-to-end tests). */
export const TTL_MS = 5_000;
const FAST_ENV = { PILOTFISH_HA__LOOP_WAIT: '500ms', PILOTFISH_COORDINATOR__ETCD__TTL: '5s' };

export interface MemberStatus {
  role: string;
  holdsLease: boolean;
  recipe: { role: string; position: string; pendingChanges: number; pid?: number };
}

/**
 * Supervisors of the directory recipe over the fixture writer, with a real etcd and a filesystem
 * object store. Every supervisor and application process is recorded by PID and killed on `destroy`.
 */
export class DirectoryCluster {
  readonly supervisors = new Map<string, TrackedProcess>();
  readonly store: FsObjectStore;
  readonly catalog: Catalog;

  private constructor(
    readonly dir: string,
    readonly etcd: EtcdHandle,
    readonly members: { name: string; statusPort: number }[],
    private readonly remove: () => void,
  ) {
    this.store = new FsObjectStore(join(dir, 'backups'));
    this.catalog = new Catalog(this.store, '', 'dirs', silentLogger());
  }

  static async create(count: number, recipe: Record<string, unknown> = {}): Promise<DirectoryCluster> {
    const tmp = tempDir('pf-dir-e2e-');
    const etcd = await startEtcd();
    const secrets = join(tmp.path, 'secrets');
    mkdirSync(secrets, { recursive: true, mode: 0o700 });
    writeFileSync(join(secrets, 'status-token'), 'dir-test-token', { mode: 0o600 });
    mkdirSync(join(tmp.path, 'logs'));
    const members = [];
    for (let i = 1; i <= count; i++) members.push({ name: `app-${i}`, statusPort: await freePort() });
    const cluster = new DirectoryCluster(tmp.path, etcd, members, tmp.remove);
    for (const m of members) cluster.writeConfig(m.name, recipe);
    return cluster;
  }

  member(name: string) {
    const m = this.members.find((x) => x.name === name)!;
    const base = join(this.dir, 'members', name);
    return { ...m, config: join(base, 'pilotfish.yaml'), data: join(base, 'data'), log: join(this.dir, 'logs', `${name}.log`) };
  }

  get names(): string[] {
    return this.members.map((m) => m.name);
  }

  /** Writes a member's configuration; `recipe` adds to (or replaces) `recipe.directory` settings. */
  writeConfig(name: string, recipe: Record<string, unknown> = {}): void {
    const m = this.member(name);
    mkdirSync(join(this.dir, 'members', name), { recursive: true });
    const config = {
      cluster: 'dirs',
      member: { name, host: '127.0.0.1' },
      coordinator: { etcd: { endpoints: [this.etcd.endpoint], ttl: '5s' } },
      secrets: { file: { dir: join(this.dir, 'secrets') } },
      objectStore: { fs: { path: join(this.dir, 'backups') } },
      backup: { interval: '1h', retention: { keepLast: 50 } },
      status: { listen: `127.0.0.1:${m.statusPort}` },
      recipe: { directory: { command: [process.execPath, WRITER], path: m.data, quietPeriod: '300ms', maxDelay: '2s', ...recipe } },
    };
    writeFileSync(m.config, stringify(config));
  }

  start(name: string, env: Record<string, string> = {}): TrackedProcess {
    const m = this.member(name);
    const proc = spawnTracked(process.execPath, [pilotfishBin, 'supervise', '-c', m.config], {
      logFile: m.log,
      env: { ...process.env, ...FAST_ENV, ...env },
    });
    this.supervisors.set(name, proc);
    return proc;
  }

  async status(name: string): Promise<MemberStatus | null> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.member(name).statusPort}/status`, {
        headers: { authorization: 'Bearer dir-test-token' },
        signal: AbortSignal.timeout(2000),
      });
      if (!res.ok) return null;
      const status = (await res.json()) as MemberStatus;
      if (status.recipe.pid) recordPid(status.recipe.pid);
      return status;
    } catch {
      return null;
    }
  }

  /** The member whose application runs, once exactly one does. */
  async waitForPrimary(timeoutMs = 30_000, among = this.names): Promise<string> {
    return waitFor(
      'one member running the application',
      async () => {
        const primaries = [];
        for (const name of among) {
          const res = await fetch(`http://127.0.0.1:${this.member(name).statusPort}/primary`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
          if (res?.status === 200) primaries.push(name);
        }
        return primaries.length === 1 ? primaries[0] : null;
      },
      { timeoutMs, intervalMs: 50 },
    );
  }

  async latest(): Promise<Manifest | null> {
    return this.catalog.latest();
  }

  logs(name: string): string {
    const file = this.member(name).log;
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  /** The fixture's lines per file in a directory: `{ 'f0.log': ['1 …', '4 …'], … }`. */
  static lines(dataDir: string): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const logs = join(dataDir, 'logs');
    if (!existsSync(logs)) return out;
    for (const file of readdirSync(logs)) {
      out.set(file, readFileSync(join(logs, file), 'utf8').split('\n').filter(Boolean));
    }
    return out;
  }

  /** SIGKILL of a member's supervisor and of the application it runs, together. */
  async killMember(name: string): Promise<void> {
    const pid = (await this.status(name))?.recipe.pid;
    const proc = this.supervisors.get(name);
    if (pid) killRecorded(pid);
    await proc?.kill();
  }

  async destroy(): Promise<void> {
    const pids: number[] = [];
    for (const name of this.names) {
      const pid = (await this.status(name))?.recipe.pid;
      if (pid) pids.push(pid);
    }
    await Promise.allSettled([...this.supervisors.values()].map((p) => p.kill()));
    for (const pid of pids) killRecorded(pid);
    await this.etcd.stop();
    this.remove();
  }
}
