import { randomUUID } from 'node:crypto';
import { type EvalTrigger, type Evaluation, type Job, newEvaluation as newEvaluationWithId } from '../structs/index.js';

/** A new pending evaluation of `job` with a random id (see structs `newEvaluation`). */
export function newEvaluation(
  job: Pick<Job, 'namespace' | 'id' | 'priority' | 'type'>,
  triggeredBy: EvalTrigger,
  nowMs: number,
  extra: Partial<Evaluation> = {},
): Evaluation {
  return newEvaluationWithId(randomUUID(), job, triggeredBy, nowMs, extra);
}

/** A stable 31-bit seed from an id, so a pass over the same state and evaluation is reproducible. */
export function seedOf(id: string): number {
  let hash = 2166136261;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 16777619);
  return hash >>> 1;
}
