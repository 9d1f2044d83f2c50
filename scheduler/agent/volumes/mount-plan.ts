import { join, normalize } from 'node:path';
import { PilotfishError } from '../../../common/errors.js';
import type { Task, TaskGroup } from '../../structs/job.js';
import { volumeSourceFor } from '../../structs/job.js';
import type { HostVolume } from '../../structs/node.js';

/**
 * Which host directories a task gets, where, and whether read-only. Pure.
 *
 * The `exec` driver has no chroot, so a mount's `destination` is taken relative to the task
 * directory (the task's root, as in Nomad's exec chroot): `destination = "/var/lib/mysql"` appears at
 * `<taskDir>/var/lib/mysql`, and the task finds it through `PILOTFISH_VOLUME_<ALIAS>` (alias
 * upper-cased, non-alphanumerics as `_`). A mount is read-only when any of the agent's volume, the
 * group's volume request or the task's `volume_mount` says so.
 */

/** One bind mount to set up for a task. */
export interface PlannedMount {
  alias: string;
  /** The node's volume name (`source[index]` for a `per_alloc` request). */
  source: string;
  /** The host directory. */
  hostPath: string;
  /** Absolute path inside the task directory. */
  target: string;
  readOnly: boolean;
  /** Which of `agent`, `job` (group volume request), `mount` asked for read-only. */
  readOnlyBecause: ('agent' | 'job' | 'mount')[];
}

/** The environment variable naming the mount of `alias`. */
export function volumeEnvName(alias: string): string {
  return `PILOTFISH_VOLUME_${alias.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * Plans `task`'s mounts for allocation `index` (a `per_alloc` volume request uses the node's
 * volume `source[index]`); throws CONFIG_INVALID (or JOBSPEC_INVALID) when the node lacks a volume
 * or a destination escapes.
 */
export function planMounts(group: TaskGroup, task: Task, nodeVolumes: Record<string, HostVolume>, taskDir: string, index = 0): PlannedMount[] {
  return task.volumeMounts.map((mount) => {
    const request = group.volumes[mount.volume];
    if (request === undefined) {
      throw new PilotfishError('JOBSPEC_INVALID', `task "${task.name}" volume_mount.volume "${mount.volume}" names no volume of group "${group.name}"`);
    }
    const source = volumeSourceFor(request, index);
    const hostVolume = nodeVolumes[source];
    if (hostVolume === undefined) {
      throw new PilotfishError('CONFIG_INVALID', `host volume "${source}" is not configured on this node (group "${group.name}" volume "${mount.volume}")`);
    }
    const relative = normalize(`./${mount.destination}`);
    if (relative === '..' || relative.startsWith('../')) {
      throw new PilotfishError('JOBSPEC_INVALID', `task "${task.name}" volume_mount.destination ${JSON.stringify(mount.destination)} leaves the task directory`);
    }
    const readOnlyBecause: PlannedMount['readOnlyBecause'] = [];
    if (hostVolume.readOnly) readOnlyBecause.push('agent');
    if (request.readOnly) readOnlyBecause.push('job');
    if (mount.readOnly) readOnlyBecause.push('mount');
    return {
      alias: mount.volume,
      source,
      hostPath: hostVolume.path,
      target: join(taskDir, relative),
      readOnly: readOnlyBecause.length > 0,
      readOnlyBecause,
    };
  });
}
