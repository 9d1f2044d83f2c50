import { delay } from '../common/retry.js';
import { describeError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { Recipe } from '../recipes/recipe.js';
import type { BackupTarget } from './backups/backup-runner.js';
import { restoreFrom } from './backups/backup-runner.js';
import type { Coordinator } from '../coordination/coordinator.js';
import { createKey, INITIALIZED, LATEST_BACKUP, readKey, type InitializedRecord } from './cluster-keys.js';
import type { MemberState } from './member-state.js';

/**
 * `preparing data → (keep | init | restore)`. A member with data keeps it. A member without data
 * initialises only when it wins the create-once `initialized` key; otherwise it restores the
 * backup `backups/latest` names, and while the cluster is initialised but has no backup yet it waits
 * for one (it never initialises an empty database into an existing cluster: autopilot #22/#29).
 * `dataLost` (the scheduler's `PILOTFISH_DATA_LOST=1`: this member's data existed but could not
 * follow its allocation) forbids initialising at all: such a member only ever restores, even if the
 * `initialized` key is missing (a wiped coordination store must not turn lost data into a new cluster).
 * Coordination store outages are waited out. Resolves with how the data was obtained.
 */
export async function prepareData(deps: {
  coordinator: Coordinator;
  recipe: Recipe;
  backups: BackupTarget;
  member: string;
  state: MemberState;
  pollMs: number;
  signal: AbortSignal;
  logger: Logger;
  dataLost?: boolean;
}): Promise<'keep' | 'init' | 'restore'> {
  const { coordinator, recipe, state, logger } = deps;
  state.phase = 'preparing';
  if ((await recipe.inspectData()) === 'present') {
    logger.info('data directory holds data; keeping it');
    const initialized = await readKey(coordinator, INITIALIZED).catch(() => null);
    if (!initialized) {
      const record: InitializedRecord = { by: deps.member, at: new Date().toISOString() };
      await createKey(coordinator, INITIALIZED, record).catch(() => false);
    }
    return 'keep';
  }
  let lastWait = '';
  if (deps.dataLost) logger.warn('PILOTFISH_DATA_LOST=1: the data of this member could not follow it; restoring the latest backup');
  for (;;) {
    deps.signal.throwIfAborted();
    try {
      const initialized = await readKey(coordinator, INITIALIZED);
      if (!initialized && deps.dataLost) {
        state.phase = 'waiting-for-backup';
        const message = 'data lost but the cluster has no initialized key; waiting for it and a backup (never initialising over lost data)';
        if (message !== lastWait) logger.warn(message);
        lastWait = message;
        await delay(deps.pollMs, deps.signal);
        continue;
      }
      if (!initialized) {
        const record: InitializedRecord = { by: deps.member, at: new Date().toISOString() };
        if (await createKey(coordinator, INITIALIZED, record)) {
          state.phase = 'initialising';
          logger.info('created the cluster (won the initialized key); initialising a new data set');
          await recipe.initialize();
          return 'init';
        }
        continue;
      }
      const latest = await readKey(coordinator, LATEST_BACKUP);
      if (latest) {
        state.phase = 'restoring';
        logger.info({ backupId: latest.id, position: latest.position }, 'no local data; restoring the latest backup');
        const restored = await recipe.restore(restoreFrom(deps.backups, latest.id, recipe));
        logger.info({ backupId: latest.id, position: restored.position }, 'restore finished');
        return 'restore';
      }
      state.phase = 'waiting-for-backup';
      const by = initialized.by;
      const message = `cluster was initialised by ${by} but has no backup yet; waiting for its first backup`;
      if (message !== lastWait) logger.info(message);
      lastWait = message;
    } catch (err) {
      if (deps.signal.aborted) throw err;
      state.phase = 'preparing';
      logger.warn({ err: describeError(err) }, 'could not prepare data yet; retrying');
    }
    await delay(deps.pollMs, deps.signal);
  }
}
