import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writePrivateFile } from '../../recipes/mysql/option-files.js';

/**
 * The state directory of `pilotfish up`: ports chosen on the first run and kept in `up.json` (so a
 * second run resumes the same cluster on the same ports), generated secrets in `secrets/` (0700
 * directory, 0600 files, file adapter), backups in `backups/` (filesystem object store), etcd in
 * `etcd/`, each member under `members/<name>/`, and the configuration files every command accepts.
 */
export interface LocalLayout {
  dir: string;
  cluster: string;
  etcd: { clientPort: number; peerPort: number };
  members: { name: string; port: number; statusPort: number; serverId: number }[];
}

/** Secrets `up` generates once: the five database roles and the status API token. */
export const LOCAL_SECRETS = ['root-password', 'app-password', 'replication-password', 'backup-password', 'monitor-password', 'status-token'];

/** Loads `up.json`, or creates it (and adds members up to `count`) with ports from `freePort`. */
export async function loadOrCreateLayout(dir: string, count: number, freePort: () => Promise<number>): Promise<LocalLayout> {
  const file = join(dir, 'up.json');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const layout: LocalLayout = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as LocalLayout)
    : { dir, cluster: 'local', etcd: { clientPort: await freePort(), peerPort: await freePort() }, members: [] };
  layout.dir = dir;
  while (layout.members.length < count) {
    const n = layout.members.length + 1;
    layout.members.push({ name: `db-${n}`, port: await freePort(), statusPort: await freePort(), serverId: n });
  }
  writeFileSync(file, `${JSON.stringify({ ...layout, dir: undefined }, null, 2)}\n`);
  return layout;
}

/** Creates every missing secret with a random value; existing ones are never changed. */
export function ensureSecrets(dir: string): string {
  const secretsDir = join(dir, 'secrets');
  mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  for (const name of LOCAL_SECRETS) {
    const path = join(secretsDir, name);
    if (!existsSync(path)) writePrivateFile(path, randomBytes(18).toString('base64url'));
  }
  return secretsDir;
}

/** Reads one generated secret. */
export function readLocalSecret(dir: string, name: string): string {
  return readFileSync(join(dir, 'secrets', name), 'utf8').trim();
}

/** Settings shared by the cluster file and every member file. */
function common(layout: LocalLayout): Record<string, unknown> {
  return {
    cluster: layout.cluster,
    coordinator: { etcd: { endpoints: [`http://127.0.0.1:${layout.etcd.clientPort}`], ttl: '5s' } },
    secrets: { file: { dir: join(layout.dir, 'secrets') } },
    objectStore: { fs: { path: join(layout.dir, 'backups') } },
    ha: { loopWait: '1s' },
    backup: { interval: '1h' },
  };
}

/**
 * Writes `<dir>/pilotfish.yaml` (the cluster: what `status`, `backup` and `switchover` read) and
 * `<dir>/members/<name>/pilotfish.yaml` for each member's supervisor; `overrides` replaces top-level
 * sections of both (e.g. another coordinator), `mysql` adds `recipe.mysql` settings to every member
 * (e.g. `replicationMode`). Returns their paths.
 */
export function writeLocalConfigs(
  layout: LocalLayout,
  overrides: Record<string, unknown> = {},
  mysql: Record<string, unknown> = {},
): { cluster: string; members: string[] } {
  const clusterFile = join(layout.dir, 'pilotfish.yaml');
  const shared = { ...common(layout), ...overrides };
  writeFileSync(clusterFile, `# written by pilotfish up; the cluster as a whole\n${stringify(shared)}`);
  const members = layout.members.map((m) => {
    const memberDir = join(layout.dir, 'members', m.name);
    mkdirSync(memberDir, { recursive: true, mode: 0o700 });
    const file = join(memberDir, 'pilotfish.yaml');
    const config = {
      ...shared,
      member: { name: m.name, host: '127.0.0.1' },
      status: { listen: `127.0.0.1:${m.statusPort}` },
      recipe: { mysql: { port: m.port, serverId: m.serverId, dataDir: join(memberDir, 'data'), bufferPool: '64M', ...mysql } },
    };
    writeFileSync(file, `# written by pilotfish up; the supervisor of ${m.name}\n${stringify(config)}`);
    return file;
  });
  return { cluster: clusterFile, members };
}
