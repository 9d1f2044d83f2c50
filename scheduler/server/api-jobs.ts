import { PilotfishError } from '../../common/errors.js';
import type { JobSubmission } from '../api/job-file.js';
import { type JobspecFormat, parseJobspec } from '../jobspec/index.js';
import type { Allocation, Job, Plan } from '../structs/index.js';
import type { ServerContext } from './context.js';
import type { RouteRequest, Router } from '../http/router.js';
import { diffJobs } from './job-diff.js';
import { checkJobSubmission } from '../acl/check-job.js';

function namespaceOf(req: RouteRequest): string {
  return req.query.get('namespace') ?? 'default';
}

const FORMATS: readonly JobspecFormat[] = ['hcl', 'json', 'yaml'];

/** Parses and validates the submitted job file text with the jobspec parser. */
async function jobOf(req: RouteRequest): Promise<Job> {
  const body = (req.body ?? {}) as Partial<JobSubmission>;
  if (typeof body.jobspec !== 'string' || body.jobspec === '') {
    throw new PilotfishError('JOBSPEC_INVALID', 'body.jobspec must be the text of a job file (with body.format hcl, json or yaml)');
  }
  const format = body.format ?? 'hcl';
  if (!FORMATS.includes(format)) throw new PilotfishError('JOBSPEC_INVALID', `body.format must be one of ${FORMATS.join(', ')} (got ${JSON.stringify(format)})`);
  const source = typeof body.source === 'string' && body.source !== '' ? body.source.slice(0, 200) : `job.${format}`;
  const job = await parseJobspec(body.jobspec, format, source);
  // ACL client tokens: submit-job in the namespace, read/write on every host volume used.
  if (req.principal.kind === 'acl') checkJobSubmission(req.principal.acl, job);
  return job;
}

/** Counts of client statuses per group, for `job status`. */
function summary(allocs: readonly Allocation[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const alloc of allocs) {
    const group = (out[alloc.taskGroup] ??= {});
    const key = alloc.desiredStatus === 'run' ? alloc.clientStatus : `${alloc.clientStatus}/${alloc.desiredStatus}`;
    group[key] = (group[key] ?? 0) + 1;
  }
  return out;
}

/** What `job plan` shows: per group counts, the placements by node, and the field diff. */
function describePlan(plan: Plan, ctx: ServerContext): unknown {
  const count = (table: Record<string, Allocation[]>) => Object.values(table).reduce((n, list) => n + list.length, 0);
  const nodeName = (id: string) => ctx.store.node(id)?.name ?? id;
  return {
    desiredTgUpdates: plan.annotations.desiredTgUpdates,
    place: Object.entries(plan.nodeAllocation).flatMap(([nodeId, list]) => list.map((a) => ({ name: a.name, node: nodeName(nodeId) }))),
    stop: Object.entries(plan.nodeUpdate).flatMap(([nodeId, list]) =>
      list.map((a) => ({ id: a.id, name: a.name, node: nodeName(nodeId), desired: a.desiredStatus, description: a.desiredDescription })),
    ),
    inPlace: Object.entries(plan.nodeInPlaceUpdate).flatMap(([nodeId, list]) => list.map((a) => ({ id: a.id, name: a.name, node: nodeName(nodeId) }))),
    totals: { place: count(plan.nodeAllocation), stop: count(plan.nodeUpdate), inPlace: count(plan.nodeInPlaceUpdate) },
    failedTgAllocs: plan.failedTgAllocs,
  };
}

/** Job routes: register, plan, status, stop, versions, revert, and the job's allocations and evaluations. */
export function addJobRoutes(router: Router, ctx: ServerContext): void {
  router.add('GET', '/v1/jobs', () => ({
    body: ctx.store.jobs().map((job) => ({
      id: job.id,
      namespace: job.namespace,
      type: job.type,
      version: job.version,
      stop: job.stop,
      summary: summary(ctx.store.allocsByJob(job.namespace, job.id)),
    })),
  }));
  router.add('POST', '/v1/jobs', async (req) => ({ body: ctx.jobs.register(await jobOf(req)) }), { acl: true });
  router.add('GET', '/v1/job/:id', (req) => {
    const job = ctx.store.job(namespaceOf(req), req.params.id as string);
    if (!job) return { status: 404, body: { error: `job ${req.params.id} not found` } };
    const allocs = ctx.store.allocsByJob(job.namespace, job.id);
    return { body: { job, summary: summary(allocs), allocs } };
  });
  router.add('POST', '/v1/job/:id/plan', async (req) => {
    const job = await jobOf(req);
    if (job.id !== req.params.id) throw new PilotfishError('SCHEDULER_API', `body.job.id ${job.id} differs from the path's ${req.params.id}`);
    const current = ctx.store.job(job.namespace, job.id);
    const out = ctx.jobs.plan(job);
    return { body: { ...describePlan(out.plan, ctx) as object, currentVersion: out.currentVersion, changed: out.changed, diff: diffJobs(current, job) } };
  }, { acl: true });
  router.add('DELETE', '/v1/job/:id', (req) => {
    const out = ctx.jobs.stop(namespaceOf(req), req.params.id as string);
    return out ? { body: out } : { status: 404, body: { error: `job ${req.params.id} not found` } };
  });
  router.add('GET', '/v1/job/:id/versions', (req) => {
    const versions = ctx.store.versions(namespaceOf(req), req.params.id as string);
    if (versions.length === 0) return { status: 404, body: { error: `job ${req.params.id} not found` } };
    return {
      body: versions.map((job, i) => ({ version: job.version, submitTimeMs: job.submitTimeMs, stop: job.stop, job, diff: i === 0 ? [] : diffJobs(versions[i - 1], job) })),
    };
  });
  router.add('POST', '/v1/job/:id/revert', (req) => {
    const version = Number((req.body as { version?: unknown } | undefined)?.version);
    if (!Number.isInteger(version) || version < 0) throw new PilotfishError('SCHEDULER_API', 'body.version must be a non-negative integer');
    const out = ctx.jobs.revert(namespaceOf(req), req.params.id as string, version);
    return out ? { body: out } : { status: 404, body: { error: `job ${req.params.id} has no version ${version}` } };
  });
  router.add('GET', '/v1/job/:id/allocations', (req) => ({ body: ctx.store.allocsByJob(namespaceOf(req), req.params.id as string) }));
  router.add('GET', '/v1/job/:id/evaluations', (req) => ({
    body: ctx.store.evals().filter((e) => e.jobId === req.params.id && e.namespace === namespaceOf(req)),
  }));
}
