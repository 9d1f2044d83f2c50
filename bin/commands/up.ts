import { resolve } from 'node:path';
import type { Command } from 'commander';
import { PilotfishError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { createCoordinator } from '../../supervisor/coordinator/factory.js';
import { loadPilotfishConfig } from '../../supervisor/config.js';
import { LocalCluster } from '../../supervisor/local/local-cluster.js';
import { ensureSecrets, loadOrCreateLayout, readLocalSecret, writeLocalConfigs } from '../../supervisor/local/local-layout.js';
import { freeLoopbackPort } from '../../supervisor/local/free-port.js';

const say = (line: string) => process.stderr.write(`pilotfish up: ${line}\n`);

/**
 * `pilotfish up mysql [--members 3] [--dir .pilotfish]`: a whole local cluster on this machine —
 * etcd, the filesystem object store and N supervised MariaDB members on 127.0.0.1 — with all state
 * under one directory. Running it again on the same directory resumes the same cluster.
 */
export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('run a local cluster of a recipe on this machine (Ctrl-C stops it; run again to resume)')
    .argument('[recipe]', 'recipe to run', 'mysql')
    .option('--members <n>', 'number of members', '3')
    .option('--dir <dir>', 'state directory', '.pilotfish')
    .option('--timeout <seconds>', 'how long to wait for a primary', '180')
    .option('--replication-mode <mode>', 'async or semisync (zero loss)', 'async')
    .action(async (recipe: string, options: { members: string; dir: string; timeout: string; replicationMode: string }) => {
      if (recipe !== 'mysql') throw new PilotfishError('CONFIG_INVALID', `recipe: ${recipe} is not available; use mysql`);
      const count = Number(options.members);
      if (!Number.isInteger(count) || count < 1 || count > 9) {
        throw new PilotfishError('CONFIG_INVALID', `--members: must be a whole number from 1 to 9 (got ${options.members})`);
      }
      if (options.replicationMode !== 'async' && options.replicationMode !== 'semisync') {
        throw new PilotfishError('CONFIG_INVALID', `--replication-mode: must be async or semisync (got ${options.replicationMode})`);
      }
      const dir = resolve(options.dir);
      const logger = createLogger({ level: process.env.PILOTFISH_LOG_LEVEL ?? 'warn', base: { component: 'up' } });
      const layout = await loadOrCreateLayout(dir, count, freeLoopbackPort);
      ensureSecrets(dir);
      const files = writeLocalConfigs(layout, {}, { replicationMode: options.replicationMode });
      const cluster = new LocalCluster({ ...layout, members: layout.members.slice(0, count) }, files.members.slice(0, count), logger);
      const stopped = new Promise<NodeJS.Signals>((done) => {
        process.once('SIGINT', () => done('SIGINT'));
        process.once('SIGTERM', () => done('SIGTERM'));
      });
      say(`starting etcd and ${count} member(s); state in ${dir}, logs in ${dir}/logs`);
      await cluster.start();
      const primary = await Promise.race([waitForPrimary(files.cluster, Number(options.timeout) * 1000), stopped.then(() => null)]);
      if (primary) {
        const password = readLocalSecret(dir, 'app-password');
        const others = layout.members.slice(0, count).filter((m) => `127.0.0.1:${m.port}` !== primary);
        process.stdout.write(
          [
            `primary: mysql://app:${password}@${primary}/app`,
            ...others.map((m) => `replica ${m.name}: mysql://app:${password}@127.0.0.1:${m.port}/app`),
            `status: pilotfish status -c ${files.cluster}`,
            'Ctrl-C stops the cluster; run the same command again to resume it with its data.',
            '',
          ].join('\n'),
        );
      } else {
        say('no primary yet; see the logs');
      }
      const signal = await stopped;
      say(`${signal}: stopping members (each shuts its database down cleanly), then etcd`);
      await cluster.stop();
      say('stopped');
    });
}

/** Polls the coordination store until a healthy primary is registered; returns its address. */
async function waitForPrimary(configFile: string, timeoutMs: number): Promise<string | null> {
  const config = await loadPilotfishConfig(configFile);
  const coordinator = await createCoordinator(config.coordinator, { cluster: config.cluster, logger: createLogger({ level: 'silent' }) });
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      try {
        const members = await coordinator.listMembers();
        const primary = members.find((m) => m.role === 'primary' && m.healthy);
        if (primary) return primary.address;
      } catch {
        // the store is still starting
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    return null;
  } finally {
    await coordinator.close();
  }
}
