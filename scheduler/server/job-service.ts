import { PilotfishError } from '../../common/errors.js';
import type { Evaluation, Job, Plan } from '../structs/index.js';
import type { EvalBroker } from './eval-broker.js';
import { newEvaluation, seedOf } from './evals.js';
import { runScheduler } from './scheduler-core.js';
import type { StateStore } from './state-store.js';

/**
 * Job operations: register (a new version when the definition changed), plan (a dry run of the
 * scheduler against the current state, nothing written), stop (a new version with `stop`),
 * versions, revert (re-register an older version as the newest). Each write creates an
 * evaluation in the same durable op and queues it.
 */

/** Result of a registration. */
export interface RegisterResult {
  jobId: string;
  version: number;
  evalId: string;
  /** False when the submitted definition equals the current version (no new version). */
  changed: boolean;
}

/** Fields the server sets; two versions differ only if something else differs. */
function specOf(job: Job): string {
  const { version: _v, submitTimeMs: _s, ...rest } = job;
  return JSON.stringify(rest);
}

export class JobService {
  constructor(
    private readonly store: StateStore,
    private readonly broker: EvalBroker,
    private readonly nowMs: () => number = Date.now,
  ) {}

  private checkShape(job: Job): void {
    if (!job || typeof job !== 'object' || typeof job.id !== 'string' || job.id === '' || !Array.isArray(job.groups)) {
      throw new PilotfishError('JOBSPEC_INVALID', 'body.job must be a parsed job with id and groups; use `pilotfish job run <file>`');
    }
  }

  private commit(job: Job, trigger: Evaluation['triggeredBy']): RegisterResult {
    const current = this.store.job(job.namespace, job.id);
    const nowMs = this.nowMs();
    const changed = !current || specOf(current) !== specOf(job);
    const next: Job = changed
      ? { ...job, version: current ? current.version + 1 : 0, submitTimeMs: nowMs }
      : (current as Job);
    const evaluation = newEvaluation(next, trigger, nowMs);
    this.store.apply({ jobs: changed ? [next] : [], evals: [evaluation] });
    this.broker.enqueue(evaluation);
    return { jobId: next.id, version: next.version, evalId: evaluation.id, changed };
  }

  /** Registers `job` (already parsed and validated by the jobspec) and queues an evaluation. */
  register(job: Job): RegisterResult {
    this.checkShape(job);
    return this.commit({ ...job, stop: false }, 'job-register');
  }

  /** Stops every allocation of the job by registering a version with `stop` set. */
  stop(namespace: string, jobId: string): RegisterResult | undefined {
    const current = this.store.job(namespace, jobId);
    if (!current) return undefined;
    return this.commit({ ...current, stop: true }, 'job-deregister');
  }

  /** Re-registers version `version` as the newest version. */
  revert(namespace: string, jobId: string, version: number): RegisterResult | undefined {
    const old = this.store.jobVersion(namespace, jobId, version);
    if (!old) return undefined;
    return this.commit({ ...old, stop: false }, 'job-revert');
  }

  /**
   * Runs the scheduler for `job` as if it were registered, against the live state, and returns
   * the plan without applying it. The state store is not touched.
   */
  plan(job: Job): { plan: Plan; currentVersion: number | null; changed: boolean } {
    this.checkShape(job);
    const base = this.store.snapshot();
    const current = base.job(job.namespace, job.id);
    const changed = !current || specOf(current) !== specOf({ ...job, stop: false });
    const candidate: Job = changed
      ? { ...job, stop: false, version: current ? current.version + 1 : 0, submitTimeMs: this.nowMs() }
      : (current as Job);
    const overlay = {
      ...base,
      job: (ns: string, id: string) => (ns === job.namespace && id === job.id ? candidate : base.job(ns, id)),
      jobVersion: (ns: string, id: string, v: number) =>
        ns === job.namespace && id === job.id && v === candidate.version ? candidate : base.jobVersion(ns, id, v),
    };
    const evaluation = newEvaluation(candidate, 'job-register', this.nowMs());
    const plan = runScheduler(overlay, evaluation, { nowMs: this.nowMs(), seed: seedOf(evaluation.id) });
    return { plan, currentVersion: current ? current.version : null, changed };
  }
}
