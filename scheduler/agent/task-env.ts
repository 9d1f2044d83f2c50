import { allocIndex } from '../structs/index.js';
import type { TaskHookContext, TaskPrestartHook } from './hooks.js';

/**
 * The task environment, Nomad's variables under a PILOTFISH_ prefix. The task gets nothing of the
 * agent's own environment except PATH (so the agent's token never reaches a task):
 *
 * | variable | value |
 * |---|---|
 * | PILOTFISH_ALLOC_ID, _ALLOC_NAME, _ALLOC_INDEX | the allocation, `job.group[i]`, `i` |
 * | PILOTFISH_JOB_ID, _JOB_VERSION, _GROUP_NAME, _TASK_NAME | what runs |
 * | PILOTFISH_ALLOC_DIR | `<alloc>/alloc`, shared by the group's tasks |
 * | PILOTFISH_DATA_DIR | `<alloc>/alloc/data`, the ephemeral disk |
 * | PILOTFISH_TASK_DIR | `<alloc>/<task>/local` (as NOMAD_TASK_DIR) |
 * | PILOTFISH_SECRETS_DIR | `<alloc>/<task>/secrets` |
 * | PILOTFISH_NODE_ID, _NODE_NAME, _DC | where it runs |
 * | PILOTFISH_CPU_LIMIT, _MEMORY_LIMIT | the task's resources (MHz, MB) |
 * | PILOTFISH_META_<KEY> | job, group and task `meta` |
 *
 * Then the task's own `env`, which may override any of these.
 */
export const taskEnvHook: TaskPrestartHook = {
  name: 'task_env',
  async prestart(ctx: TaskHookContext) {
    const { alloc, job, dir } = ctx.alloc;
    const task = ctx.task;
    const meta = { ...job.meta, ...ctx.alloc.group.meta, ...task.meta };
    Object.assign(ctx.env, {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: dir.taskDir(task.name),
      PILOTFISH_ALLOC_ID: alloc.id,
      PILOTFISH_ALLOC_NAME: alloc.name,
      PILOTFISH_ALLOC_INDEX: String(allocIndex(alloc.name)),
      PILOTFISH_JOB_ID: job.id,
      PILOTFISH_JOB_VERSION: String(alloc.jobVersion),
      PILOTFISH_NAMESPACE: alloc.namespace,
      PILOTFISH_GROUP_NAME: alloc.taskGroup,
      PILOTFISH_TASK_NAME: task.name,
      PILOTFISH_ALLOC_DIR: dir.sharedDir,
      PILOTFISH_DATA_DIR: dir.dataDir,
      PILOTFISH_TASK_DIR: dir.localDir(task.name),
      PILOTFISH_SECRETS_DIR: dir.secretsDir(task.name),
      PILOTFISH_NODE_ID: alloc.nodeId,
      PILOTFISH_NODE_NAME: alloc.nodeName,
      PILOTFISH_CPU_LIMIT: String(task.resources.cpuMhz),
      PILOTFISH_MEMORY_LIMIT: String(task.resources.memoryMb),
      ...ctx.alloc.env,
    });
    for (const [key, value] of Object.entries(meta)) ctx.env[`PILOTFISH_META_${key.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = value;
    Object.assign(ctx.env, task.env);
  },
};
