/** The pure scheduling core: `schedule(state, eval, { nowMs, seed }) → Plan`. */
export { schedule } from './scheduler.js';
export type { ScheduleOptions, SchedulerAlgorithm, StateSnapshot } from './state.js';
export { reconcile, DESCRIPTIONS } from './reconcile.js';
export type { PlacementRequest, ReconcileResult, StopRequest } from './reconcile.js';
export { nextDelayMs, rescheduleEligible, failTimeMs, penaltyNodeIds } from './reschedule.js';
export { checkOperator } from './operators.js';
export { versionMatches, isValidVersionConstraint } from './version.js';
export { tasksUpdated } from './updates.js';
export { Rng } from './rng.js';
