import type { AllocHookContext, AllocRunnerHook } from '../hooks.js';
import type { MigrationSource } from './source.js';

/**
 * The `migration_guard` allocation hook, first in the list so its destroy runs before the alloc
 * dir is removed: garbage collection of an allocation waits while its data is being streamed to
 * a migrating successor (Nomad #16708). The wait is bounded by the stream itself: a stream ends,
 * fails or is cut after the source's idle timeout.
 */
export function migrationGuardHook(source: MigrationSource): AllocRunnerHook {
  return {
    name: 'migration_guard',
    async destroy(ctx: AllocHookContext) {
      if (!source.inFlight(ctx.alloc.id)) return;
      ctx.logger.info({ allocId: ctx.alloc.id }, 'waiting for the migration stream of this allocation before removing it');
      await source.drained(ctx.alloc.id);
    },
  };
}
