import { describeError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { Catalog, Orphan } from './catalog.js';
import type { Manifest } from './manifest.js';
import type { ObjectStore } from './object-store/object-store.js';
import { MANIFEST_NAME } from './layout.js';

/** `backup.retention` in milliseconds. */
export interface RetentionPolicy {
  /** Keep the newest N backups (at least 1). */
  keepLast: number;
  /** Also keep every backup that finished within this window. */
  keepWithinMs: number;
  /** Remove orphans (uploads without a manifest) only once they are this old, so running uploads survive. */
  orphanGraceMs: number;
}

export interface RetentionPlan {
  keep: string[];
  remove: string[];
  removeOrphans: string[];
}

/**
 * Pure retention decision. A backup is kept when it is among the newest `keepLast`, or finished
 * within `keepWithinMs` of `now`; the newest valid backup is kept whatever the policy says.
 */
export function planRetention(input: { backups: readonly Manifest[]; orphans: readonly Orphan[]; policy: RetentionPolicy; now: Date }): RetentionPlan {
  const newestFirst = [...input.backups].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const keepLast = Math.max(1, input.policy.keepLast);
  const keep: string[] = [];
  const remove: string[] = [];
  newestFirst.forEach((manifest, index) => {
    const ageMs = input.now.getTime() - Date.parse(manifest.finishedAt);
    const kept = index < keepLast || ageMs <= input.policy.keepWithinMs;
    (kept ? keep : remove).push(manifest.id);
  });
  const removeOrphans = input.orphans
    .filter((orphan) => input.now.getTime() - orphan.lastModified.getTime() > input.policy.orphanGraceMs)
    .map((orphan) => orphan.id);
  return { keep, remove, removeOrphans };
}

/**
 * Applies retention to a cluster's backups. The manifest of a removed backup goes first, so a
 * backup disappears from the catalog before its data does and an interrupted run leaves only an
 * orphan. With `dryRun` it only returns the plan.
 */
export async function applyRetention(options: {
  store: ObjectStore;
  catalog: Catalog;
  policy: RetentionPolicy;
  now?: () => Date;
  dryRun?: boolean;
  logger: Logger;
  signal?: AbortSignal;
}): Promise<RetentionPlan> {
  const { backups, orphans, keys } = await options.catalog.scan(options.signal);
  const plan = planRetention({ backups, orphans, policy: options.policy, now: (options.now ?? (() => new Date()))() });
  const logger = options.logger.child({ component: 'retention' });
  if (options.dryRun) return plan;
  for (const id of [...plan.remove, ...plan.removeOrphans]) {
    const ofId = keys.get(id) ?? [];
    const ordered = [...ofId.filter((k) => k.endsWith(`/${MANIFEST_NAME}`)), ...ofId.filter((k) => !k.endsWith(`/${MANIFEST_NAME}`))];
    try {
      for (const key of ordered) await options.store.delete(key, options.signal);
      logger.info({ backupId: id, orphan: plan.removeOrphans.includes(id) }, 'backup removed by retention');
    } catch (err) {
      logger.warn({ backupId: id, err: describeError(err) }, 'could not remove backup; retrying next run');
    }
  }
  return plan;
}
