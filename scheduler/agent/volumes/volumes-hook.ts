import { allocIndex } from '../../structs/names.js';
import type { HostVolume } from '../../structs/node.js';
import type { TaskHookContext, TaskPrestartHook } from '../hooks.js';
import { planMounts, volumeEnvName } from './mount-plan.js';
import { prepareMountTargets, wrapWithMounts } from './mount-wrapper.js';

/**
 * The `volumes` task prestart hook: plans the task's `volume_mount`s against this node's host
 * volumes, creates the mount points, sets `PILOTFISH_VOLUME_<ALIAS>` to each mount's path and
 * wraps the task's command so the mounts exist (read-only where any of agent, job or mount asks)
 * when it starts (see mount-wrapper.ts). A `per_alloc` request mounts `source[<alloc index>]`. A node without the volume, or a read-only mount on an
 * agent without mount privileges, fails the start with a message naming the volume.
 */
export function volumesHook(nodeVolumes: Record<string, HostVolume>): TaskPrestartHook {
  return {
    name: 'volumes',
    async prestart(ctx: TaskHookContext) {
      if (ctx.task.volumeMounts.length === 0) return;
      const index = Math.max(0, allocIndex(ctx.alloc.alloc.name));
      const mounts = planMounts(ctx.alloc.group, ctx.task, nodeVolumes, ctx.alloc.dir.taskDir(ctx.task.name), index);
      await prepareMountTargets(mounts);
      for (const mount of mounts) ctx.env[volumeEnvName(mount.alias)] = mount.target;
      const wrapped = wrapWithMounts(ctx.launch.command, ctx.launch.args, mounts);
      ctx.launch.command = wrapped.command;
      ctx.launch.args = wrapped.args;
    },
  };
}
