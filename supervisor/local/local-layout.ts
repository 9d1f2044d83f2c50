import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PilotfishError } from '../../common/errors.js';
import { writePrivateFile } from '../../common/private-file.js';
import type { LocalMember, LocalRecipe } from '../../recipes/recipe.js';

/**
 * The state directory of `pilotfish up`: ports chosen on the first run and kept in `up.json` (so a
 * second run resumes the same cluster on the same ports), generated secrets in `secrets/` (0700
 * directory, 0600 files, file adapter), backups in `backups/` (filesystem object store), etcd in
 * `etcd/`, each member under `members/<name>/`, and the configuration files every command accepts.
 */
export interface LocalLayout {
  dir: string;
  cluster: string;
  /** The recipe this state directory runs (one per directory). */
  recipe?: string;
  etcd: { clientPort: number; peerPort: number };
  /** `serverId` is the member's number (1, 2, …), which the MySQL recipe also uses as its server id. */
  members: { name: string; port: number; statusPort: number; serverId: number }[];
}

/** The secrets `up` generates for `recipe`: its own and the status API token. */
export function localSecrets(recipe: Pick<LocalRecipe, 'secrets'>): string[] {
  return [...recipe.secrets, 'status-token'];
}

/**
 * Loads `up.json`, or creates it (and adds members up to `count`, named `<prefix>-<n>`) with ports
 * from `freePort`. A directory that holds another recipe's cluster is refused.
 */
export async function loadOrCreateLayout(
  dir: string,
  count: number,
  freePort: () => Promise<number>,
  recipe: { name: string; local: Pick<LocalRecipe, 'memberPrefix'> },
): Promise<LocalLayout> {
  const file = join(dir, 'up.json');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const layout: LocalLayout = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as LocalLayout)
    : { dir, cluster: 'local', recipe: recipe.name, etcd: { clientPort: await freePort(), peerPort: await freePort() }, members: [] };
  layout.dir = dir;
  // `up.json` from before it named its recipe: the member names tell.
  layout.recipe ??= layout.members.every((m) => m.name.startsWith(`${recipe.local.memberPrefix}-`)) ? recipe.name : 'another recipe';
  if (layout.recipe !== recipe.name) {
    throw new PilotfishError('CONFIG_INVALID', `--dir: ${dir} holds a local ${layout.recipe} cluster; use another --dir for ${recipe.name}`);
  }
  while (layout.members.length < count) {
    const n = layout.members.length + 1;
    layout.members.push({ name: `${recipe.local.memberPrefix}-${n}`, port: await freePort(), statusPort: await freePort(), serverId: n });
  }
  writeFileSync(file, `${JSON.stringify({ ...layout, dir: undefined }, null, 2)}\n`);
  return layout;
}

/** Creates every missing secret of `names` with a random value; existing ones are never changed. */
export function ensureSecrets(dir: string, names: readonly string[]): string {
  const secretsDir = join(dir, 'secrets');
  mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  for (const name of names) {
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

/** The recipe a local cluster runs: its name, its `up` layout, and the `up` flags it takes. */
export interface LocalRecipeChoice {
  name: string;
  local: LocalRecipe;
  options?: Readonly<Record<string, unknown>>;
}

/** A layout member as the recipe sees it. */
export function localMember(layout: LocalLayout, m: LocalLayout['members'][number]): LocalMember {
  return { name: m.name, index: m.serverId, port: m.port, memberDir: join(layout.dir, 'members', m.name) };
}

/**
 * Writes `<dir>/pilotfish.yaml` (the cluster: what `status`, `backup` and `switchover` read; it
 * names the recipe with its defaults) and `<dir>/members/<name>/pilotfish.yaml` for each member's
 * supervisor, whose `recipe.<name>` section the recipe's `up` layout fills; `overrides` replaces
 * top-level sections of both (e.g. another coordinator). Returns their paths.
 */
export function writeLocalConfigs(
  layout: LocalLayout,
  overrides: Record<string, unknown>,
  recipe: LocalRecipeChoice,
): { cluster: string; members: string[] } {
  const clusterFile = join(layout.dir, 'pilotfish.yaml');
  const shared = { ...common(layout), ...overrides };
  writeFileSync(clusterFile, `# written by pilotfish up; the cluster as a whole\n${stringify(shared)}`);
  const members = layout.members.map((m) => {
    const member = localMember(layout, m);
    mkdirSync(member.memberDir, { recursive: true, mode: 0o700 });
    const file = join(member.memberDir, 'pilotfish.yaml');
    const config = {
      ...shared,
      member: { name: m.name, host: '127.0.0.1' },
      status: { listen: `127.0.0.1:${m.statusPort}` },
      recipe: { [recipe.name]: recipe.local.section(member, recipe.options ?? {}) },
    };
    writeFileSync(file, `# written by pilotfish up; the supervisor of ${m.name}\n${stringify(config)}`);
    return file;
  });
  return { cluster: clusterFile, members };
}
