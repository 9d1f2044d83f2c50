import type { Command } from 'commander';
import { silentLogger } from '../../common/logger.js';
import { loadPilotfishConfig } from '../../supervisor/config.js';
import { createCoordinator } from '../../coordination/factory.js';
import type { MemberRole } from '../../coordination/coordinator.js';
import { LATEST_BACKUP, readKey } from '../../supervisor/cluster-keys.js';
import { clusterRecipe, loadRecipe } from '../../recipes/registry.js';
import { createSecretStore } from '../../secrets/factory.js';
import type { PilotfishConfig } from '../../supervisor/config.js';

/** The status API token from the SecretStore, or `undefined` when it cannot be read. */
async function readStatusToken(config: Readonly<PilotfishConfig>): Promise<string | undefined> {
  const secrets = await createSecretStore(config.secrets, { logger: silentLogger() }).catch(() => undefined);
  try {
    return await secrets?.get(config.status.tokenSecret);
  } catch {
    return undefined;
  } finally {
    await secrets?.close();
  }
}

/** The JSON `pilotfish status --json` prints. */
export interface ClusterStatus {
  cluster: string;
  members: {
    name: string;
    /** In the recipe's words: `replica` for MySQL, `standby` for the directory recipe. */
    role: MemberRole | string;
    host: string;
    port: number;
    healthy: boolean;
    lagSeconds: number | null;
    position: string;
    /** Directory recipe: changes not backed up yet (from the member's own `/status`, when it answers). */
    pendingChanges?: number;
  }[];
  lastBackup: { id: string; at: string; position: string } | null;
}

/** What a member's own `/status` adds for its recipe, or `undefined` when it does not answer within a second. */
async function memberDetails(statusUrl: string, token: string | undefined): Promise<Record<string, unknown> | undefined> {
  if (!token || !statusUrl) return undefined;
  try {
    const res = await fetch(`${statusUrl}/status`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(1000) });
    if (!res.ok) return undefined;
    return ((await res.json()) as { recipe?: Record<string, unknown> }).recipe;
  } catch {
    return undefined;
  }
}

/** Reads the cluster's state from the coordination store (no member needs to answer). */
export async function readClusterStatus(configPath: string): Promise<ClusterStatus> {
  const config = await loadPilotfishConfig(configPath);
  const coordinator = await createCoordinator(config.coordinator, { cluster: config.cluster, logger: silentLogger() });
  try {
    const [members, backup] = await Promise.all([coordinator.listMembers(), readKey(coordinator, LATEST_BACKUP)]);
    const chosen = clusterRecipe(config.recipe, members);
    // Only recipes whose members report more than the store holds are asked (the directory recipe).
    const followsBackups = chosen ? Boolean((await loadRecipe(chosen.name)).tools(chosen.config).backupsFromPrimary) : false;
    const token = followsBackups ? await readStatusToken(config) : undefined;
    const details = await Promise.all(members.map((m) => (followsBackups ? memberDetails(m.statusUrl ?? '', token) : Promise.resolve(undefined))));
    return {
      cluster: config.cluster,
      members: members.map((m, i) => {
        const colon = m.address.lastIndexOf(':');
        const pending = details[i]?.pendingChanges;
        return {
          name: m.name,
          role: followsBackups && m.role === 'replica' ? 'standby' : m.role,
          host: m.address.slice(0, colon),
          port: Number(m.address.slice(colon + 1)),
          healthy: m.healthy,
          lagSeconds: m.lagSeconds,
          position: m.position,
          ...(typeof pending === 'number' ? { pendingChanges: pending } : {}),
        };
      }),
      lastBackup: backup ? { id: backup.id, at: backup.at, position: backup.position } : null,
    };
  } finally {
    await coordinator.close();
  }
}

/** `pilotfish status -c pilotfish.yaml [--json]`. */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('show the members of a cluster and its last backup')
    .requiredOption('-c, --config <file>', 'pilotfish.yaml')
    .option('--json', 'print JSON')
    .action(async (options: { config: string; json?: boolean }) => {
      const status = await readClusterStatus(options.config);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(status)}\n`);
        return;
      }
      const rows = status.members.map((m) =>
        [m.name, m.role, `${m.host}:${m.port}`, m.healthy ? 'healthy' : 'UNHEALTHY', m.lagSeconds === null ? '-' : `${m.lagSeconds}s`, m.position || '-'].join('\t'),
      );
      const backup = status.lastBackup ? `${status.lastBackup.id} at ${status.lastBackup.at} (${status.lastBackup.position})` : 'none';
      process.stdout.write(`cluster ${status.cluster}\nNAME\tROLE\tADDRESS\tHEALTH\tLAG\tPOSITION\n${rows.join('\n')}\nlast backup: ${backup}\n`);
    });
}
