import type { AllocMetrics, Allocation, Evaluation, Job, Plan } from '../structs/index.js';
import { dataHolder, isTerminal, newEvaluation } from '../structs/index.js';
import { AllocNames } from './alloc-names.js';
import { PassContext } from './context.js';
import { reconcile } from './reconcile.js';
import type { PlacementRequest } from './reconcile.js';
import { Rng } from './rng.js';
import { GroupStack } from './select.js';
import type { SelectOptions } from './select.js';
import type { ScheduleOptions, StateSnapshot } from './state.js';

/**
 * The entry point of the pure core: one evaluation in, one plan out. Reads only the snapshot and
 * the options (clock, seed); never writes anything. Reconcile first, then place what it asked for,
 * group by group, through a {@link GroupStack} per group.
 */

function emptyPlan(evaluation: Evaluation, job: Job | undefined): Plan {
  return {
    evalId: evaluation.id,
    namespace: evaluation.namespace,
    jobId: evaluation.jobId,
    jobVersion: job?.version ?? -1,
    priority: job?.priority ?? evaluation.priority,
    nodeAllocation: {},
    nodeInPlaceUpdate: {},
    nodeUpdate: {},
    attributeUpdates: [],
    followupEvals: [],
    failedTgAllocs: {},
    annotations: { desiredTgUpdates: {} },
  };
}

function push(map: Record<string, Allocation[]>, nodeId: string, alloc: Allocation): void {
  const list = map[nodeId];
  // A list made with its first element holds one slot; `[]` then push reserves 17. Most nodes get
  // one allocation per plan, so this is most of the plan's garbage.
  if (list) list.push(alloc);
  else map[nodeId] = [alloc];
}

const NO_OPTIONS: SelectOptions = Object.freeze({});
/** New allocations have no task states yet; one frozen map serves them all (updates replace it). */
const NO_TASK_STATES: Allocation['taskStates'] = Object.freeze({});

function placementOptions(ctx: PassContext, req: PlacementRequest, find: (id: string) => Allocation | undefined): SelectOptions {
  if (req.previous === null && req.penaltyNodeIds.length === 0) return NO_OPTIONS;
  const opts: SelectOptions = {};
  if (req.penaltyNodeIds.length > 0) {
    const set = new Set<number>();
    for (const id of req.penaltyNodeIds) {
      const i = ctx.index.get(id);
      if (i !== undefined) set.add(i);
    }
    opts.penaltyNodes = set;
  }
  const disk = req.group.ephemeralDisk;
  // the data is where the chain's last allocation that ever ran is (structs/data-holder.ts)
  const holder = req.previous && (disk.sticky || disk.migrate) ? dataHolder(req.previous, find) : req.previous;
  const prev = holder ? ctx.index.get(holder.nodeId) : undefined;
  if (prev !== undefined && req.reason !== 'reschedule') {
    // sticky: try the previous node first; migrate from a node that is gone: prefer its rack, then its datacenter
    if (disk.sticky || disk.migrate) opts.preferredNodes = [prev];
    if (disk.migrate && (req.reason === 'lost' || req.reason === 'migrate' || req.reason === 'resume')) opts.nearNode = prev;
  }
  return opts;
}

/** Computes the plan for `evaluation` against `state`. Deterministic for a given snapshot, `nowMs` and `seed`. */
export function schedule(state: StateSnapshot, evaluation: Evaluation, options: ScheduleOptions): Plan {
  const rng = new Rng(options.seed);
  const nowMs = options.nowMs;
  const job = state.job(evaluation.namespace, evaluation.jobId);
  const allocs = state.allocsByJob(evaluation.namespace, evaluation.jobId);
  const plan = emptyPlan(evaluation, job);
  const decided = reconcile(state, job, allocs, nowMs);
  plan.annotations.desiredTgUpdates = decided.desired;

  const ctx = new PassContext(state);
  const stopped = new Map<string, Allocation>();
  for (const s of decided.stops) {
    const updated: Allocation = {
      ...s.alloc,
      desiredStatus: s.desiredStatus,
      desiredDescription: s.description,
      clientStatus: s.lost ? 'lost' : s.alloc.clientStatus,
      modifyTimeMs: nowMs,
    };
    stopped.set(s.alloc.id, updated);
    push(plan.nodeUpdate, s.alloc.nodeId, updated);
    ctx.stop(s.alloc);
  }
  for (const a of allocs) {
    const i = ctx.index.get(a.nodeId);
    if (i !== undefined && !isTerminal(a) && !stopped.has(a.id)) ctx.addProposed(i, a.taskGroup);
  }
  if (job) {
    for (const a of decided.inPlace) push(plan.nodeInPlaceUpdate, a.nodeId, { ...a, jobVersion: job.version, modifyTimeMs: nowMs });
  }
  for (const f of decided.followups) {
    const { namespace, jobId: id, priority, type } = evaluation;
    const followup = newEvaluation(rng.uuid(), { namespace, id, priority, type }, 'retry-failed-alloc', nowMs, {
      statusDescription: 'created for delayed rescheduling',
      waitUntilMs: f.waitUntilMs,
      previousEval: evaluation.id,
    });
    plan.followupEvals.push(followup);
    for (const a of f.allocs) plan.attributeUpdates.push({ ...a, followupEvalId: followup.id, modifyTimeMs: nowMs });
  }
  if (!job) return plan;

  let byId: Map<string, Allocation> | null = null;
  const findAlloc = (id: string) => (byId ??= new Map(allocs.map((a) => [a.id, a]))).get(id);
  const stacks = new Map<string, GroupStack>();
  const names = new Map<string, AllocNames>();
  const failed = new Map<string, AllocMetrics & { coalescedFailures?: number }>();
  for (const req of decided.places) {
    const groupName = req.group.name;
    const failure = failed.get(groupName);
    let stack = stacks.get(groupName);
    // Nomad coalesces: after one failed placement, the group's others fail the same way. Not so
    // with per_alloc volumes: each index has its own candidate nodes, so each is tried.
    if (failure && stack?.perAlloc == null) {
      failure.coalescedFailures = (failure.coalescedFailures ?? 0) + 1;
      continue;
    }
    if (!stack) {
      const expected = decided.places.reduce((n, r) => (r.group.name === groupName ? n + 1 : n), 0);
      stacks.set(groupName, (stack = new GroupStack(ctx, job, req.group, rng, options.algorithm ?? 'binpack', expected)));
      names.set(groupName, new AllocNames(job.id, groupName));
    }
    const chosen = stack.select(placementOptions(ctx, req, findAlloc), req.index);
    if (chosen < 0) {
      if (failure) failure.coalescedFailures = (failure.coalescedFailures ?? 0) + 1;
      else failed.set(groupName, { ...stack.lastFailure! });
      continue;
    }
    const node = ctx.nodes[chosen]!;
    const alloc: Allocation = {
      id: rng.uuid(),
      namespace: job.namespace,
      evalId: evaluation.id,
      name: names.get(groupName)!.name(req.index),
      nodeId: node.id,
      nodeName: node.name,
      jobId: job.id,
      jobVersion: job.version,
      taskGroup: groupName,
      resources: stack.ask,
      desiredStatus: 'run',
      desiredDescription: '',
      clientStatus: 'pending',
      clientDescription: '',
      taskStates: NO_TASK_STATES,
      previousAllocation: req.previous?.id ?? '',
      nextAllocation: '',
      // a resumed placement takes the data of a stopped allocation, not its reschedule history
      rescheduleTracker: req.tracker ?? (req.reason === 'resume' ? null : req.previous?.rescheduleTracker) ?? null,
      followupEvalId: '',
      metrics: stack.lastMetrics,
      createTimeMs: nowMs,
      modifyTimeMs: nowMs,
    };
    stack.commit(chosen);
    push(plan.nodeAllocation, node.id, alloc);
    if (req.previous) {
      const stoppedPrev = stopped.get(req.previous.id);
      if (stoppedPrev) stoppedPrev.nextAllocation = alloc.id;
      else plan.attributeUpdates.push({ ...req.previous, nextAllocation: alloc.id, modifyTimeMs: nowMs });
    }
  }
  for (const [group, metrics] of failed) plan.failedTgAllocs[group] = metrics;
  return plan;
}
