import type { Command } from 'commander';
import { silentLogger } from '../../common/logger.js';
import { loadPilotfishConfig } from '../../supervisor/config.js';
import { createCoordinator } from '../../coordination/factory.js';
import type { MemberRole } from '../../coordination/coordinator.js';
import { LATEST_BACKUP, readKey } from '../../supervisor/cluster-keys.js';

/** The JSON `pilotfish status --json` prints. */
export interface ClusterStatus {
  cluster: string;
  members: { name: string; role: MemberRole; host: string; port: number; healthy: boolean; lagSeconds: number | null; position: string }[];
  lastBackup: { id: string; at: string; position: string } | null;
}

/** Reads the cluster's state from the coordination store (no member needs to answer). */
export async function readClusterStatus(configPath: string): Promise<ClusterStatus> {
  const config = await loadPilotfishConfig(configPath);
  const coordinator = await createCoordinator(config.coordinator, { cluster: config.cluster, logger: silentLogger() });
  try {
    const [members, backup] = await Promise.all([coordinator.listMembers(), readKey(coordinator, LATEST_BACKUP)]);
    return {
      cluster: config.cluster,
      members: members.map((m) => {
        const colon = m.address.lastIndexOf(':');
        return {
          name: m.name,
          role: m.role,
          host: m.address.slice(0, colon),
          port: Number(m.address.slice(colon + 1)),
          healthy: m.healthy,
          lagSeconds: m.lagSeconds,
          position: m.position,
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
