import type { Recipe } from '../../recipes/recipe.js';
import type { Coordinator } from '../../coordination/coordinator.js';
import type { MemberState } from '../member-state.js';
import type { LeaseFencing } from './lease-fencing.js';
import { deleteKey, SWITCHOVER } from '../cluster-keys.js';

/** What a handover works with. */
export interface HandoverContext {
  coordinator: Coordinator;
  recipe: Recipe;
  state: MemberState;
  fencing: LeaseFencing;
  loopWaitMs: number;
  handoverBoundMs: number;
}

/**
 * Planned handover from this primary to `to`: refuse writes, wait until the target has everything
 * this member wrote, then release the lease so the target (and only it, the switchover key names
 * it) takes it. Gives up after `handoverBoundMs` and stays primary; the next
 * cycle makes the server writable again. Returns the outcome for the cycle's log line.
 */
export async function handover(ctx: HandoverContext, to: string, position: string): Promise<string> {
  const { coordinator, recipe, state, fencing } = ctx;
  if (!(await fencing.fenceDatabase())) {
    await deleteKey(coordinator, SWITCHOVER);
    return `switchover to ${to} abandoned: this server did not confirm it is read-only`;
  }
  const final = (await recipe.health()).position || position;
  const deadline = Date.now() + ctx.handoverBoundMs;
  let renewedAtMs = Date.now();
  while (Date.now() < deadline) {
    if (Date.now() - renewedAtMs >= ctx.loopWaitMs) {
      // keep the lease while waiting, so no other member can take it before the target
      renewedAtMs = Date.now();
      if (!(await coordinator.renewLeader())) return 'switchover: lost the lease while handing over';
      state.lastRenewOkAtMs = renewedAtMs;
    }
    const target = (await coordinator.listMembers()).find((m) => m.name === to);
    if (target?.healthy && recipe.comparePositions(target.position, final) === 0) {
      await coordinator.releaseLeader();
      fencing.released();
      return `switchover: ${to} has everything up to ${final}; released the lease`;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await deleteKey(coordinator, SWITCHOVER);
  return `switchover to ${to} abandoned: it did not reach ${final} in time; staying primary`;
}
