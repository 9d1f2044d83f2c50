import type { Logger } from '../../common/logger.js';
import type { Evaluation, Plan } from '../structs/index.js';
import type { EvalBroker } from './eval-broker.js';
import { newEvaluation, seedOf } from './evals.js';
import { applyPlan } from './plan-applier.js';
import { runScheduler } from './scheduler-core.js';
import type { StateStore } from './state-store.js';

/**
 * A scheduling worker: takes an evaluation from the broker, runs the pure scheduler on a
 * snapshot of the state, hands the plan to the plan applier, and records the evaluation's
 * outcome in the same state op: `complete`, plus follow-up evaluations for delayed reschedules,
 * a `blocked` evaluation when some placements found no node (re-run when capacity appears), and
 * a fresh evaluation when the applier refused a node (the snapshot was stale).
 */
export class Worker {
  constructor(
    private readonly store: StateStore,
    private readonly broker: EvalBroker,
    private readonly logger: Logger,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Processes evaluations until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let evaluation: Evaluation;
      try {
        evaluation = await this.broker.dequeue(signal);
      } catch {
        return;
      }
      try {
        this.process(evaluation);
      } catch (err) {
        this.logger.error({ err, evalId: evaluation.id, jobId: evaluation.jobId }, 'evaluation failed');
        const failed = { ...evaluation, status: 'failed' as const, statusDescription: String((err as Error).message) };
        this.store.apply({ evals: [failed] });
      } finally {
        this.broker.ack(evaluation);
      }
      // Let HTTP handlers and heartbeats run between passes.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private process(queued: Evaluation): void {
    const evaluation = this.store.evaluation(queued.id) ?? queued;
    if (evaluation.status !== 'pending') return;
    const nowMs = this.nowMs();
    const plan: Plan = runScheduler(this.store.snapshot(), evaluation, { nowMs, seed: seedOf(evaluation.id) });
    const job = this.store.job(evaluation.namespace, evaluation.jobId);
    const evals: Evaluation[] = [];
    const followups = plan.followupEvals.map((e) => ({ ...e, status: 'pending' as const }));
    evals.push(...followups);
    let blockedId = '';
    if (job && Object.keys(plan.failedTgAllocs).length > 0) {
      // One blocked evaluation per job is enough: it re-plans every group.
      for (const old of this.store.evals()) {
        if (old.status === 'blocked' && old.jobId === job.id && old.namespace === job.namespace) {
          evals.push({ ...old, status: 'canceled', statusDescription: 'superseded by a newer blocked evaluation', modifyTimeMs: nowMs });
        }
      }
      const blocked = newEvaluation(job, 'queued-allocs', nowMs, {
        status: 'blocked',
        previousEval: evaluation.id,
        failedTgAllocs: plan.failedTgAllocs,
      });
      blockedId = blocked.id;
      evals.push(blocked);
    }
    const done: Evaluation = {
      ...evaluation,
      status: 'complete',
      blockedEval: blockedId,
      failedTgAllocs: plan.failedTgAllocs,
      modifyTimeMs: nowMs,
    };
    // The applier decides about rejected nodes; a retry evaluation is only known afterwards,
    // so it is written in a second op (the plan itself is already durable by then).
    const result = applyPlan(this.store, plan, [done, ...evals], nowMs);
    for (const followup of followups) this.broker.enqueue(followup);
    const rejectedNodes = Object.keys(result.rejected);
    if (rejectedNodes.length > 0 && job) {
      const retry = newEvaluation(job, 'queued-allocs', nowMs, { previousEval: evaluation.id });
      this.store.apply({ evals: [{ ...done, nextEval: retry.id }, retry] });
      this.broker.enqueue(retry);
    }
    this.logger.info(
      {
        evalId: evaluation.id,
        jobId: evaluation.jobId,
        trigger: evaluation.triggeredBy,
        placed: result.placed,
        stopped: result.stopped,
        rejected: result.rejected,
        blocked: blockedId !== '',
        followups: followups.length,
      },
      'evaluation processed',
    );
  }
}
