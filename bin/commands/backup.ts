import type { Command } from 'commander';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackup } from '../../backup/create-backup.js';
import type { Manifest } from '../../backup/manifest.js';
import { restoreBackup } from '../../backup/restore.js';
import { applyRetention } from '../../backup/retention.js';
import { PilotfishError } from '../../common/errors.js';
import { type BackupContext, sourceFor, type SourceFlags, toolsFor, withBackupContext } from './backup-context.js';
import type { RestorePrepare } from '../../backup/restore.js';
import { createCoordinator } from '../../coordination/factory.js';
import { clusterRecipe, configuredRecipe, loadRecipe } from '../../recipes/registry.js';
import { BACKUP_REQUESTED, LATEST_BACKUP, readKey, writeKey } from '../../supervisor/cluster-keys.js';
import { progressBar } from './backup-progress.js';

const out = (text: string) => process.stdout.write(`${text}\n`);
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

function summary(m: Manifest): string {
  const gtid = m.position?.gtid ?? '-';
  return `${m.id}  ${m.source.padEnd(14)} ${mib(m.storedBytes).padStart(11)}  gtid ${gtid}  ${m.encryption ? 'encrypted' : 'plain'}  ${m.member}`;
}

/** Ctrl-C cancels the running backup or restore; its cleanup then leaves nothing behind. */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  process.once('SIGTERM', () => controller.abort(new Error('terminated')));
  return controller.signal;
}

/** `pilotfish backup create|list|show|restore|verify|prune -c pilotfish.yaml`. */
export function registerBackupCommands(program: Command): void {
  const backup = program.command('backup').description('take, list, restore, verify and prune backups');
  const withConfig = (cmd: Command) => cmd.requiredOption('-c, --config <file>', 'pilotfish.yaml');

  withConfig(backup.command('create').description('take a backup now and print its manifest'))
    .option('--source <kind>', 'physical or logical (default: backup.source)')
    .option('--directory <path>', "back up this directory (tar) instead of the recipe's data")
    .option('--socket <path>', 'MySQL socket (default: recipe.mysql runDir/mysqld.sock, else host:port)')
    .option('--user <name>', 'MySQL user (default: recipe.mysql.users.backup); password from secret <user>-password')
    .option('--json', 'print the manifest as JSON')
    .option('--timeout <seconds>', 'directory recipe: how long to wait for the primary to take the backup', '120')
    .action((flags: SourceFlags & { config: string; json?: boolean; timeout: string }) => withBackupContext(flags.config, async (ctx: BackupContext) => {
      if (!flags.directory && (await followsBackups(ctx))) {
        // Only the member running the application has the live data: ask the cluster and wait.
        const manifest = await requestClusterBackup(ctx, Number(flags.timeout) * 1000);
        out(flags.json ? JSON.stringify(manifest) : `created ${summary(manifest)}`);
        return;
      }
      const bar = progressBar();
      const manifest = await createBackup({
        store: ctx.store, prefix: ctx.prefix, cluster: ctx.cluster, member: ctx.member, logger: ctx.logger,
        source: await sourceFor(ctx, flags), compressionLevel: ctx.config.backup.compression.level,
        encryption: await ctx.encryption(), signal: interruptSignal(), onProgress: bar?.onProgress,
      }).finally(() => bar?.finish());
      out(flags.json ? JSON.stringify(manifest) : `created ${summary(manifest)}`);
    }));

  withConfig(backup.command('list').description('list backups, oldest first (uploads without a manifest are not backups)'))
    .option('--json', 'one JSON array of manifests')
    .action((flags: { config: string; json?: boolean }) => withBackupContext(flags.config, async (ctx: BackupContext) => {
      const manifests = await ctx.catalog.list();
      if (flags.json) out(JSON.stringify(manifests));
      else if (manifests.length === 0) out(`no backups for cluster ${ctx.cluster}`);
      else manifests.forEach((m) => out(summary(m)));
    }));

  withConfig(backup.command('show <id>').description('print one manifest (id or "latest")'))
    .option('--json', 'print JSON')
    .action((id: string, flags: { config: string; json?: boolean }) => withBackupContext(flags.config, async (ctx: BackupContext) => {
      const manifest = await ctx.catalog.get(id);
      if (!manifest) throw new PilotfishError('BACKUP_NOT_FOUND', `no backup ${id} in cluster ${ctx.cluster}; list them with: pilotfish backup list`);
      out(flags.json ? JSON.stringify(manifest) : JSON.stringify(manifest, null, 2));
    }));

  withConfig(backup.command('restore <id>').description('restore a backup (id or "latest") into a directory'))
    .requiredOption('--target <dir>', 'directory to restore into (must be empty or absent unless --force)')
    .option('--force', 'restore over a non-empty target; the old directory is renamed aside, not deleted')
    .option('--no-prepare', "skip the recipe's prepare step (MySQL: mariadb-backup --prepare)")
    .action((id: string, flags: { config: string; target: string; force?: boolean; prepare: boolean }) => withBackupContext(flags.config, async (ctx: BackupContext) => {
      const prepare = flags.prepare ? await prepareFor(ctx, id) : undefined;
      const bar = progressBar();
      const result = await restoreBackup({
        store: ctx.store, prefix: ctx.prefix, cluster: ctx.cluster, id, targetDir: flags.target, force: flags.force,
        prepare, encryption: await ctx.encryption(), logger: ctx.logger, signal: interruptSignal(), onProgress: bar?.onProgress,
      }).finally(() => bar?.finish());
      out(`restored ${result.manifest.id} into ${result.targetDir}${result.previousDir ? ` (previous contents moved to ${result.previousDir})` : ''}`);
      out(JSON.stringify({ position: result.position }));
    }));

  withConfig(backup.command('verify <id>').description("restore into a scratch directory, run the recipe's prepare step, and check it (MySQL: starts mariadbd briefly)"))
    .option('--scratch <dir>', 'parent directory for the scratch copy', tmpdir())
    .option('--no-start-server', 'only check the restored files; do not start the application on them')
    .action((id: string, flags: { config: string; scratch: string; startServer: boolean }) => withBackupContext(flags.config, async (ctx: BackupContext) => {
      const manifest = await ctx.catalog.get(id);
      if (!manifest) throw new PilotfishError('BACKUP_NOT_FOUND', `no backup ${id} in cluster ${ctx.cluster}; list them with: pilotfish backup list`);
      const tools = await toolsFor(ctx, manifest);
      const scratch = await mkdtemp(join(flags.scratch, 'pf-verify-'));
      const bar = progressBar();
      try {
        const result = await restoreBackup({
          store: ctx.store, prefix: ctx.prefix, cluster: ctx.cluster, id: manifest.id, targetDir: join(scratch, 'data'), prepare: tools?.prepareRestored,
          encryption: await ctx.encryption(), logger: ctx.logger, signal: interruptSignal(), onProgress: bar?.onProgress,
        }).finally(() => bar?.finish());
        const detail = tools
          ? await tools.verifyRestored(result.targetDir, result.manifest, { startApplication: flags.startServer })
          : 'checksum and unpack ok';
        out(`verified ${result.manifest.id}: ${detail}`);
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    }));

  withConfig(backup.command('prune').description('apply backup.retention: keep-last, keep-within, orphans past the grace period'))
    .option('--dry-run', 'print the plan without deleting')
    .option('--json', 'print the plan as JSON')
    .action((flags: { config: string; dryRun?: boolean; json?: boolean }) => withBackupContext(flags.config, async (ctx: BackupContext) => {
      const { keepLast, keepWithin, orphanGrace } = ctx.config.backup.retention;
      const plan = await applyRetention({
        store: ctx.store, catalog: ctx.catalog, logger: ctx.logger, dryRun: flags.dryRun,
        policy: { keepLast, keepWithinMs: keepWithin, orphanGraceMs: orphanGrace },
      });
      if (flags.json) out(JSON.stringify(plan));
      else out(`${flags.dryRun ? 'would keep' : 'kept'} ${plan.keep.length}, ${flags.dryRun ? 'would remove' : 'removed'} ${plan.remove.length} backup(s) and ${plan.removeOrphans.length} orphan(s)`);
    }));
}

/** The prepare step of the recipe that wrote backup `id` (`latest` included). */
async function prepareFor(ctx: BackupContext, id: string): Promise<RestorePrepare | undefined> {
  const manifest = await ctx.catalog.get(id);
  return manifest ? (await toolsFor(ctx, manifest))?.prepareRestored : undefined;
}

/** Whether the cluster's recipe takes its backups on the running primary (the directory recipe). */
async function followsBackups(ctx: BackupContext): Promise<boolean> {
  let chosen = configuredRecipe(ctx.config.recipe);
  if (!chosen) {
    // A cluster file without a recipe section (the one `pilotfish up` writes): ask the members.
    const coordinator = await createCoordinator(ctx.config.coordinator, { cluster: ctx.cluster, logger: ctx.logger });
    try {
      chosen = clusterRecipe(undefined, await coordinator.listMembers().catch(() => []));
    } finally {
      await coordinator.close();
    }
  }
  return chosen ? Boolean((await loadRecipe(chosen.name)).tools(chosen.config).backupsFromPrimary) : false;
}

/** Writes `backups/requested` and waits until `backups/latest` names a backup finished after the request. */
async function requestClusterBackup(ctx: BackupContext, timeoutMs: number): Promise<Manifest> {
  const coordinator = await createCoordinator(ctx.config.coordinator, { cluster: ctx.cluster, logger: ctx.logger });
  try {
    const at = new Date().toISOString();
    await writeKey(coordinator, BACKUP_REQUESTED, { at, by: `pilotfish backup create (${ctx.member})`, reason: 'pilotfish backup create' });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const latest = await readKey(coordinator, LATEST_BACKUP).catch(() => null);
      if (latest && latest.at > at) {
        const manifest = await ctx.catalog.get(latest.id);
        if (manifest) return manifest;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new PilotfishError('BACKUP_FAILED', `no backup finished within ${timeoutMs / 1000}s of the request; is a primary running? see pilotfish status`);
  } finally {
    await coordinator.close();
  }
}
