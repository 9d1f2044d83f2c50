import { schedule } from '../scheduling/index.js';
import type { ScheduleOptions, StateSnapshot } from '../scheduling/state.js';
import type { Evaluation, Plan } from '../structs/index.js';

/**
 * The one seam between the server and the pure scheduling core: everything the server knows
 * about the core is this call (`schedule(state, eval, {nowMs, seed}) → Plan`).
 */
export function runScheduler(state: StateSnapshot, evaluation: Evaluation, options: ScheduleOptions): Plan {
  return schedule(state, evaluation, options);
}
