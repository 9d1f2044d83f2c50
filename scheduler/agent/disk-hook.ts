import type { AllocHookContext, AllocRunnerHook } from './hooks.js';
import { DiskWatcher } from './disk-watcher.js';

/**
 * The `disk_watcher` allocation hook: from prerun to postrun, a {@link DiskWatcher} measures the
 * whole allocation directory against `ephemeral_disk.size`. Over size: a `DiskOverSize` event.
 * Past `size × hardLimitFactor`: a `DiskHardLimit` event and the allocation is failed (its tasks
 * are stopped; the reschedule policy decides what follows).
 */
export function diskWatcherHook(options: { intervalMs: number; hardLimitFactor: number }): AllocRunnerHook {
  const watchers = new Map<string, DiskWatcher>();
  return {
    name: 'disk_watcher',
    async prerun(ctx: AllocHookContext) {
      watchers.get(ctx.alloc.id)?.stop();
      const watcher = new DiskWatcher({
        allocId: ctx.alloc.id,
        dirs: [ctx.dir.root],
        sizeMb: ctx.group.ephemeralDisk.sizeMb,
        hardLimitFactor: options.hardLimitFactor,
        intervalMs: options.intervalMs,
        onEvent: (event) => {
          if (event.type === 'over') ctx.event('DiskOverSize', event.message);
          if (event.type === 'hardLimit') {
            ctx.event('DiskHardLimit', event.message);
            ctx.fail(event.message);
          }
        },
      });
      watchers.set(ctx.alloc.id, watcher.start());
    },
    async postrun(ctx: AllocHookContext) {
      watchers.get(ctx.alloc.id)?.stop();
      watchers.delete(ctx.alloc.id);
    },
  };
}
