import { mkdir, symlink } from 'node:fs/promises';
import { PilotfishError } from '../../../common/errors.js';
import type { PlannedMount } from './mount-plan.js';

/**
 * How a task gets its host volumes, for real:
 *
 * As root, the task is started as
 * `unshare --mount --propagation private -- /bin/sh -c <script> … -- <command> <args>`: a private
 * mount namespace (nothing leaks to the host's mount table), then for each volume
 * `mount --bind <hostPath> <target>`, and for read-only ones `mount -o remount,bind,ro <target>`
 * (a per-mount-point flag the kernel enforces: writes fail with EROFS whoever the writer is).
 * When any mount is read-only the command runs under `setpriv --bounding-set -sys_admin`, so the
 * task, even as root, cannot remount it read-write.
 *
 * Not root: there are no mount privileges. Read-write volumes are offered as a symlink at the
 * target; a read-only volume cannot be enforced, so the task is refused with a clear error rather
 * than given a writable path.
 */

/** What a task's start needs changed. */
export interface WrappedCommand {
  command: string;
  args: string[];
}

/** Runs as `$0 N src1 dst1 ro|rw … -- command args`; `set -e` stops at the first failed mount. */
const SCRIPT = [
  'set -e',
  'n=$1; shift',
  'while [ "$n" -gt 0 ]; do',
  '  mount --bind "$1" "$2"',
  '  if [ "$3" = ro ]; then mount -o remount,bind,ro "$2"; fi',
  '  shift 3; n=$((n - 1))',
  'done',
  'shift',
  'exec "$@"',
].join('\n');

/** Whether this process may create mount namespaces and bind mounts. */
export function canMount(): boolean {
  return process.getuid?.() === 0;
}

/** Creates what the mounts attach to: empty directories (root) or symlinks (not root, read-write only). */
export async function prepareMountTargets(mounts: readonly PlannedMount[], privileged = canMount()): Promise<void> {
  for (const mount of mounts) {
    if (privileged) {
      await mkdir(mount.target, { recursive: true, mode: 0o755 });
      continue;
    }
    if (mount.readOnly) {
      throw new PilotfishError(
        'PROCESS_FAILED',
        `host volume "${mount.source}" must be mounted read-only (${mount.readOnlyBecause.join(', ')}), which needs root; run the agent as root or make the mount read-write`,
      );
    }
    await mkdir(mount.target.slice(0, mount.target.lastIndexOf('/')), { recursive: true });
    await symlink(mount.hostPath, mount.target).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }
}

/** Wraps `command args` so it starts with `mounts` in place; unchanged when there is nothing to mount or no privilege. */
export function wrapWithMounts(command: string, args: readonly string[], mounts: readonly PlannedMount[], privileged = canMount()): WrappedCommand {
  if (mounts.length === 0 || !privileged) return { command, args: [...args] };
  const spec = mounts.flatMap((m) => [m.hostPath, m.target, m.readOnly ? 'ro' : 'rw']);
  const inner = mounts.some((m) => m.readOnly) ? ['setpriv', '--bounding-set', '-sys_admin', '--', command, ...args] : [command, ...args];
  return {
    command: 'unshare',
    args: ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', SCRIPT, 'pilotfish-mounts', String(mounts.length), ...spec, '--', ...inner],
  };
}
