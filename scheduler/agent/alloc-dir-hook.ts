import { rm } from 'node:fs/promises';
import { buildAllocDir } from './alloc-dir.js';
import type { AllocHookContext, AllocRunnerHook } from './hooks.js';

/**
 * Builds the allocation directory before tasks start (idempotent, so restored allocations keep
 * their files) and removes it when the allocation is garbage-collected.
 */
export const allocDirHook: AllocRunnerHook = {
  name: 'alloc_dir',
  async prerun(ctx: AllocHookContext) {
    await buildAllocDir(
      ctx.dir,
      ctx.group.tasks.map((t) => t.name),
    );
  },
  async destroy(ctx: AllocHookContext) {
    await rm(ctx.dir.root, { recursive: true, force: true });
  },
};
