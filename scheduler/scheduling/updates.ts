import type { Task, TaskGroup } from '../structs/index.js';

/**
 * Whether moving an allocation from one version of its group to another needs a new allocation
 * (destructive) or can be applied in place. As in Nomad's `tasksUpdated`: tasks added or removed,
 * driver, config, env, resources, meta, volume mounts, group volumes and ephemeral disk are
 * destructive; count, restart/reschedule/update policies, affinities and spreads are not.
 * Constraints are re-checked against the allocation's node by the scheduler instead.
 */

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function taskChanged(a: Task, b: Task): boolean {
  return (
    a.driver !== b.driver ||
    !same(a.config, b.config) ||
    !same(a.env, b.env) ||
    !same(a.resources, b.resources) ||
    !same(a.meta, b.meta) ||
    !same(a.volumeMounts, b.volumeMounts) ||
    a.killTimeoutMs !== b.killTimeoutMs
  );
}

/** True when an allocation of `from` must be replaced to run `to`. */
export function tasksUpdated(from: TaskGroup, to: TaskGroup): boolean {
  if (from.tasks.length !== to.tasks.length) return true;
  if (!same(from.ephemeralDisk, to.ephemeralDisk) || !same(from.volumes, to.volumes) || !same(from.meta, to.meta)) return true;
  for (const task of to.tasks) {
    const old = from.tasks.find((t) => t.name === task.name);
    if (!old || taskChanged(old, task)) return true;
  }
  return false;
}
