import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The on-disk layout of one allocation, as in Nomad:
 *
 * ```
 * <dataDir>/allocs/<allocId>/
 *   alloc/            shared by the group's tasks (PILOTFISH_ALLOC_DIR)
 *     data/           the ephemeral disk; kept for sticky/migrate (PILOTFISH_DATA_DIR)
 *     logs/           <task>.stdout.0, <task>.stderr.0
 *   <task>/           the task's working directory (PILOTFISH_TASK_DIR)
 *     local/          private scratch space
 *     secrets/        mode 0700, for secrets rendered into files
 *     task.pid        {pid, startTime} of the running task, so a restarted agent can find it
 *   alloc.json        the allocation as last received, so a restarted agent knows what it ran
 * ```
 */
export interface AllocDir {
  root: string;
  sharedDir: string;
  dataDir: string;
  logsDir: string;
  taskDir(task: string): string;
  localDir(task: string): string;
  secretsDir(task: string): string;
  pidFile(task: string): string;
  stdoutFile(task: string): string;
  stderrFile(task: string): string;
  allocFile: string;
}

/** The paths of allocation `allocId` under the agent's `allocsDir`; creates nothing. */
export function allocDirOf(allocsDir: string, allocId: string): AllocDir {
  const root = join(allocsDir, allocId);
  const sharedDir = join(root, 'alloc');
  const logsDir = join(sharedDir, 'logs');
  return {
    root,
    sharedDir,
    dataDir: join(sharedDir, 'data'),
    logsDir,
    taskDir: (task) => join(root, task),
    localDir: (task) => join(root, task, 'local'),
    secretsDir: (task) => join(root, task, 'secrets'),
    pidFile: (task) => join(root, task, 'task.pid'),
    stdoutFile: (task) => join(logsDir, `${task}.stdout.0`),
    stderrFile: (task) => join(logsDir, `${task}.stderr.0`),
    allocFile: join(root, 'alloc.json'),
  };
}

/** Creates the shared directories and each task's directories; idempotent (restarts reuse them). */
export async function buildAllocDir(dir: AllocDir, tasks: readonly string[]): Promise<void> {
  await mkdir(dir.dataDir, { recursive: true, mode: 0o755 });
  await mkdir(dir.logsDir, { recursive: true, mode: 0o755 });
  for (const task of tasks) {
    await mkdir(dir.localDir(task), { recursive: true, mode: 0o755 });
    await mkdir(dir.secretsDir(task), { recursive: true, mode: 0o700 });
  }
}
