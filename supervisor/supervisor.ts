import { createObjectStore } from '../backup/object-store/factory.js';
import { loadEncryptionKey } from '../backup/encryption-key.js';
import { describeError, PilotfishError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { RecipeModule } from '../recipes/recipe.js';
import { configuredRecipe } from '../recipes/registry.js';
import { BackupScheduler } from './backups/backup-scheduler.js';
import { newestInStore, restoreFrom, type BackupTarget } from './backups/backup-runner.js';
import { prepareData } from './bootstrap.js';
import type { PilotfishConfig } from './config.js';
import { createCoordinator } from '../coordination/factory.js';
import { ProcessWatchdog } from './fencing/process-watchdog.js';
import { HaLoop, type MemberIdentity } from './ha/ha-loop.js';
import { haTimings } from './ha/lease-timings.js';
import { initialMemberState } from './member-state.js';
import { installSignalHandlers } from '../process/signals.js';
import { createSecretStore } from '../secrets/factory.js';
import { createMetrics } from './status/metrics.js';
import { startStatusServer } from './status/status-server.js';
import { LATEST_BACKUP, readKey } from './cluster-keys.js';

const VERSION = '0.1.0';

/** Bound on the final backup a stopping primary takes (`Recipe.backupOnStop`). */
const FINAL_BACKUP_TIMEOUT_MS = 60_000;

/**
 * `pilotfish supervise`: the container entrypoint. `starting → preparing data → (restore | init |
 * keep) → running as primary | replica → stopping`. Resolves when the supervisor stopped after
 * SIGTERM/SIGINT (or `stopSignal` aborted): the database is read-only and stopped cleanly, the
 * lease released, the member entry and service registration removed.
 *
 * `module` is the recipe the configuration names (`recipes/registry.ts` loads it); the supervisor
 * knows the application only through the `Recipe` it creates.
 */
export async function supervise(config: Readonly<PilotfishConfig>, module: RecipeModule, logger: Logger, stopSignal?: AbortSignal): Promise<void> {
  const chosen = configuredRecipe(config.recipe);
  if (!config.member || !chosen) {
    throw new PilotfishError('CONFIG_INVALID', 'supervise needs member.name and a recipe section (e.g. recipe.mysql) in the configuration');
  }
  if (chosen.name !== module.name) {
    throw new PilotfishError('CONFIG_INVALID', `recipe: the configuration names ${chosen.name}, but the ${module.name} recipe was loaded`);
  }
  if (!config.objectStore) throw new PilotfishError('CONFIG_INVALID', 'objectStore: supervise needs a place for backups (fs or s3)');
  const member = config.member;
  const log = logger.child({ component: 'supervisor' });
  const state = initialMemberState();
  const stop = new AbortController();
  stopSignal?.addEventListener('abort', () => stop.abort(), { once: true });

  const secrets = await createSecretStore(config.secrets, { logger });
  const coordinator = await createCoordinator(config.coordinator, { cluster: config.cluster, memberName: member.name, logger });
  // A copy: the AWS SDK annotates the credentials object it is given, and the parsed config is frozen.
  const store = await createObjectStore(structuredClone(config.objectStore));
  const recipe = await module.create({ config: chosen.config, memberName: member.name, secrets, logger: logger.child({ component: module.name }) });
  const removeHandlers = installSignalHandlers(() => stop.abort(), (signal) => recipe.signal(signal), log);
  const target: BackupTarget = {
    store,
    prefix: config.objectStore.prefix,
    cluster: config.cluster,
    config: config.backup,
    encryption: config.backup.encryption ? await loadEncryptionKey(secrets, config.backup.encryption.keySecret) : undefined,
    logger,
  };
  const backups = new BackupScheduler(coordinator, recipe, target, member.name, logger.child({ component: 'backups' }));
  const status = await startStatusServer({
    listen: config.status.listen,
    token: await secrets.get(config.status.tokenSecret),
    state,
    describe: () => ({ cluster: config.cluster, member: member.name, address: recipe.address, backups: backups.stats, recipe: { name: recipe.name, ...recipe.status?.() } }),
    requestBackup: () => backups.request('POST /backup on the status server'),
    metrics: createMetrics(state, recipe, () => backups.stats),
    logger: log,
  });
  const identity: MemberIdentity = {
    name: member.name,
    address: `${member.host}:${recipe.port}`,
    statusUrl: status.url,
    tags: member.tags,
    priority: member.priority,
    version: VERSION,
  };
  const timings = haTimings(coordinator.lease, {
    loopWaitMs: config.ha.loopWait,
    safetyMarginMs: config.ha.safetyMargin,
    maxLagOnFailoverMs: config.ha.maxLagOnFailover,
  });
  const processWatchdog = new ProcessWatchdog({ logger: log, onFired: () => state.watchdogKills++ });
  const loop = new HaLoop({
    coordinator,
    recipe,
    state,
    self: identity,
    timings,
    backups,
    rebootstrap: async () => {
      const latest = await readKey(coordinator, LATEST_BACKUP);
      if (!latest) throw new PilotfishError('RECIPE_FAILED', 'no backup to re-bootstrap from yet', { retryable: true });
      const { id } = latest;
      await recipe.stop();
      const aside = await recipe.setAside();
      log.warn({ aside, backupId: id }, 'moved the diverged data directory aside; restoring the latest backup');
      await recipe.restore(restoreFrom(target, id, recipe));
      await recipe.start();
    },
    processFence: processWatchdog,
    restoreBackup: (id) => restoreFrom(target, id, recipe),
    newestBackup: () => newestInStore(target, recipe),
    logger: logger.child({ component: 'ha' }),
  });
  const statusPort = Number(status.url.split(':').pop());
  let keepAlive: NodeJS.Timeout | undefined;
  try {
    await coordinator
      .registerService({ id: member.name, name: config.cluster, address: member.host, port: recipe.port, tags: [], checkTtlMs: timings.serviceCheckTtlMs })
      .catch((err: unknown) => log.warn({ err: describeError(err) }, 'could not register the service yet'));
    // The member entry and its session must stay alive through a long restore.
    const beat = () => {
      void coordinator.keepAlive().then(() => loop.publish()).catch(() => undefined);
    };
    beat();
    keepAlive = setInterval(beat, config.ha.loopWait);
    log.info({ statusUrl: status.url, statusPort }, 'supervisor starting');
    state.dataSource = await prepareData({ coordinator, recipe, backups: target, member: member.name, state, pollMs: config.ha.loopWait, signal: stop.signal, logger: log, dataLost: process.env.PILOTFISH_DATA_LOST === '1' });
    await recipe.start();
    clearInterval(keepAlive);
    keepAlive = undefined;
    state.phase = 'running';
    state.role = 'replica';
    loop.start();
    await new Promise<void>((resolve) => {
      if (stop.signal.aborted) resolve();
      else stop.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } catch (err) {
    if (!stop.signal.aborted) throw err;
  } finally {
    if (keepAlive) clearInterval(keepAlive);
    state.phase = 'stopping';
    // A cycle stuck on an unresponsive server must not keep the lease and the member entry alive.
    const bounded = (p: Promise<void>, ms: number) => Promise.race([p, new Promise<void>((r) => setTimeout(r, ms).unref())]);
    await bounded(loop.stop(), 10_000);
    // Aborting a running backup can take seconds (its tool has to stop). A replica leaves the
    // catalog meanwhile; a primary waits, since a backup tool's locks may hold up turning the
    // server read-only. The session that holds the backup lock stays open until the backup ended.
    const backupsStopped = bounded(backups.stop(), 10_000);
    const wasPrimary = state.holdsLease;
    if (wasPrimary) await backupsStopped;
    // Refuse writes first, then hand the lease over at once: a replica may take over while this
    // server shuts down, and no write can be accepted here in between.
    // The process watchdog stays armed until the server confirmed it refuses writes, or is stopped.
    const fenced = wasPrimary ? await recipe.fence() : true;
    if (fenced) await processWatchdog.close();
    // A recipe whose replicas follow the backups takes one more while it still holds the lease, so
    // the next primary starts on everything this one wrote.
    if (wasPrimary && fenced && recipe.backupOnStop) {
      const took = await backups.takeNow('clean stop of the primary', FINAL_BACKUP_TIMEOUT_MS).catch(() => false);
      log.info({ took }, took ? 'final backup taken before the lease is released' : 'final backup failed; the next primary starts on the last backup');
    }
    state.holdsLease = false;
    state.role = 'stopped';
    await Promise.allSettled([coordinator.releaseLeader(), coordinator.deleteMember(member.name), coordinator.deregisterService(member.name)]);
    await backupsStopped;
    await coordinator.close();
    log.info({ wasPrimary }, 'lease released and member deregistered; stopping the database');
    await recipe.stop();
    await processWatchdog.close();
    state.phase = 'stopped';
    await status.close();
    await secrets.close();
    removeHandlers();
    log.info('supervisor stopped');
  }
}
