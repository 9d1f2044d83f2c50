import { resolve } from 'node:path';
import type { Command } from 'commander';
import { PilotfishError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { createCoordinator } from '../../coordination/factory.js';
import { loadPilotfishConfig } from '../../supervisor/config.js';
import { LocalCluster } from '../../supervisor/local/local-cluster.js';
import { parseCommandString } from 'execa';
import type { LocalRecipe } from '../../recipes/recipe.js';
import { loadRecipe } from '../../recipes/registry.js';
import { ensureSecrets, loadOrCreateLayout, localMember, localSecrets, readLocalSecret, writeLocalConfigs, type LocalLayout } from '../../supervisor/local/local-layout.js';
import { freeLoopbackPort } from '../../supervisor/local/free-port.js';
import { ensureSchedulerLayout, LocalScheduler, writeMemberTemplate } from '../../supervisor/local/local-scheduler.js';
import { watchParent } from '../../supervisor/local/parent-watch.js';

const say = (line: string) => process.stderr.write(`pilotfish up: ${line}\n`);

/**
 * `pilotfish up <recipe> [--members 3] [--dir .pilotfish]`: a whole local cluster on this machine —
 * etcd, the filesystem object store and N supervised members on 127.0.0.1 — with all state under
 * one directory. Running it again on the same directory resumes the same cluster. `up mysql` runs
 * MariaDB members; `up directory --command '<app and args>'` runs any application over a directory.
 * `up mysql --scheduler` runs the members as the job `compose/scheduler/mysql.hcl` on pilotfish's
 * own scheduler instead: a local server and `--nodes` agents (racks r1, r2, r3, r1, …).
 * Either way it stops the cluster on SIGINT or SIGTERM and when the process that started it dies.
 */
export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('run a local cluster of a recipe on this machine (Ctrl-C or the end of its parent stops it; run again to resume)')
    .argument('[recipe]', 'recipe to run', 'mysql')
    .option('--members <n>', 'number of members', '3')
    .option('--dir <dir>', 'state directory', '.pilotfish')
    .option('--timeout <seconds>', 'how long to wait for a primary', '180')
    .option('--replication-mode <mode>', 'mysql: async or semisync (zero loss)', 'async')
    .option('--command <app and args>', "directory: the application to run over each member's directory, e.g. 'python3 -m http.server'")
    .option('--scheduler', "run the members as the recipe's job on pilotfish's scheduler (a local server and agents; mysql)")
    .option('--nodes <n>', 'with --scheduler: number of agents, racks r1-r3 in turn', '3')
    .action(async (recipe: string, options: UpOptions) => {
      const module = await loadRecipe(recipe);
      if (!module.local) throw new PilotfishError('CONFIG_INVALID', `recipe: ${recipe} cannot run locally with up`);
      const count = Number(options.members);
      if (!Number.isInteger(count) || count < 1 || count > 9) {
        throw new PilotfishError('CONFIG_INVALID', `--members: must be a whole number from 1 to 9 (got ${options.members})`);
      }
      if (options.replicationMode !== 'async' && options.replicationMode !== 'semisync') {
        throw new PilotfishError('CONFIG_INVALID', `--replication-mode: must be async or semisync (got ${options.replicationMode})`);
      }
      const dir = resolve(options.dir);
      const logger = createLogger({ level: process.env.PILOTFISH_LOG_LEVEL ?? 'warn', base: { component: 'up' } });
      if (options.scheduler) return upWithScheduler(dir, options, recipe, module.local, logger);
      const choice = { name: recipe, local: module.local, options: recipeOptions(options) };
      const layout = await loadOrCreateLayout(dir, count, freeLoopbackPort, choice);
      ensureSecrets(dir, localSecrets(module.local));
      const files = writeLocalConfigs(layout, {}, choice);
      const cluster = new LocalCluster({ ...layout, members: layout.members.slice(0, count) }, files.members.slice(0, count), logger);
      const stopped = stopRequest();
      say(`starting etcd and ${count} member(s); state in ${dir}, logs in ${dir}/logs`);
      await cluster.start();
      const primary = await Promise.race([waitForPrimary(files.cluster, Number(options.timeout) * 1000), stopped.then(() => null)]);
      printConnections(dir, primary, { ...layout, members: layout.members.slice(0, count) }, module.local, files.cluster);
      const reason = await stopped;
      say(`${reason}: stopping members (each stops its application cleanly), then etcd`);
      await cluster.stop();
      say('stopped');
    });
}

interface UpOptions {
  members: string;
  dir: string;
  timeout: string;
  replicationMode: string;
  command?: string;
  scheduler?: boolean;
  nodes: string;
}

/** Why `up` stops its cluster. */
type StopReason = 'SIGINT' | 'SIGTERM' | 'parent gone';

/**
 * Resolves on the first SIGINT or SIGTERM, or when the process that started `up` has gone (a shell
 * killed with SIGKILL, say): nobody is left to press Ctrl-C, and the cluster must not run on.
 */
function stopRequest(): Promise<StopReason> {
  return new Promise((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
    watchParent(() => {
      // The terminal or pipe the output goes to may have gone with the parent: a failed write
      // must not end `up` before its members and etcd have stopped.
      for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
      done('parent gone');
    });
  });
}

/** The `up` flags a recipe's local layout reads. */
function recipeOptions(options: UpOptions): Record<string, unknown> {
  return {
    replicationMode: options.replicationMode,
    ...(options.command !== undefined ? { command: parseCommandString(options.command) } : {}),
  };
}

/** The connection lines both modes print once a primary is registered. */
function printConnections(
  dir: string,
  primary: string | null,
  layout: LocalLayout,
  local: LocalRecipe,
  clusterFile: string,
  stopHint = 'Ctrl-C stops the cluster; run the same command again to resume it with its data.',
): void {
  if (!primary) {
    say('no primary yet; see the logs');
    return;
  }
  const members = layout.members.map((m) => localMember(layout, m));
  const first = members.find((m) => `127.0.0.1:${m.port}` === primary) ?? members[0]!;
  const others = members.filter((m) => m !== first);
  process.stdout.write(
    [
      ...local.connectionLines(first, others, (name) => readLocalSecret(dir, name)),
      `status: pilotfish status -c ${clusterFile}`,
      stopHint,
      '',
    ].join('\n'),
  );
}

/**
 * `up <recipe> --scheduler`: etcd (as `up` runs it), then a local scheduler server and agents, then
 * the recipe's job (`compose/scheduler/mysql.hcl` for MySQL: three members, one per rack; the job
 * file fixes the count). Ctrl-C (or the end of the parent) stops the job (every supervisor shuts
 * down cleanly), the agents, the server, then etcd.
 */
async function upWithScheduler(dir: string, options: UpOptions, recipe: string, local: LocalRecipe, logger: ReturnType<typeof createLogger>): Promise<void> {
  const job = local.schedulerJob;
  if (!job) throw new PilotfishError('CONFIG_INVALID', `--scheduler: the ${recipe} recipe has no job for the local scheduler; run it without --scheduler`);
  const nodes = Number(options.nodes);
  if (!Number.isInteger(nodes) || nodes < 3 || nodes > 9) {
    throw new PilotfishError('CONFIG_INVALID', `--nodes: must be a whole number from 3 to 9 (got ${options.nodes}); the job places one member per rack r1-r3`);
  }
  const choice = { name: recipe, local, options: recipeOptions(options) };
  const layout = await loadOrCreateLayout(dir, 0, freeLoopbackPort, choice);
  const sched = await ensureSchedulerLayout(layout, job.members);
  ensureSecrets(dir, localSecrets(local));
  const files = writeLocalConfigs({ ...layout, members: [] }, {}, choice);
  const template = writeMemberTemplate(layout, files.cluster, recipe, job.templateSection(choice.options));
  const etcd = new LocalCluster({ ...layout, members: [] }, [], logger);
  const scheduler = new LocalScheduler(layout, sched, nodes, logger);
  const stopped = stopRequest();
  say(`starting etcd, a scheduler server and ${nodes} agents; state in ${dir}, logs in ${dir}/logs`);
  try {
    await etcd.start();
    await scheduler.start();
    await scheduler.runJob(job, template, sched);
    say(`job ${job.jobId} submitted; scheduler API http://${scheduler.address} (token in ${dir}/secrets/scheduler-token)`);
    const primary = await Promise.race([waitForPrimary(files.cluster, Number(options.timeout) * 1000), stopped.then(() => null)]);
    const members = Array.from({ length: job.members }, (_, i) => ({ name: `${local.memberPrefix}-${i + 1}`, port: sched.appPortBase + i, statusPort: 0, serverId: i + 1 }));
    // A new run registers the job again: each new allocation resumes the data of the last stopped
    // allocation of its name (sticky/migrate ephemeral disk), on the same node.
    printConnections(dir, primary, { ...layout, members }, local, files.cluster, 'Ctrl-C stops the cluster; a new run resumes every member with its data.');
    const reason = await stopped;
    say(`${reason}: stopping the job (each member stops its application cleanly), the agents, the server, then etcd`);
  } finally {
    // Also when starting failed: nothing this command started may outlive it.
    await scheduler.stop(job.jobId);
    await etcd.stop();
    say('stopped');
  }
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
