import type { Allocation, DesiredUpdates, Job, RescheduleTracker, TaskGroup } from '../structs/index.js';
import { allocIndex, isTerminal } from '../structs/index.js';
import { groupRequirements, requirementsReason } from './feasible.js';
import { failTimeMs, nextDelayMs, nextTracker, penaltyNodeIds, rescheduleEligible } from './reschedule.js';
import type { StateSnapshot } from './state.js';
import { tasksUpdated } from './updates.js';

/**
 * The reconciler compares what a job asks for with the allocations that exist and says what to
 * do, group by group, without choosing nodes: keep, update in place, replace (destructive update,
 * migration off a draining node, loss of a down node, reschedule of a failed allocation), stop
 * (scale down, job stopped, group removed), or wait (a failed allocation whose reschedule delay
 * has not passed yet gets a follow-up evaluation).
 */

/** Nomad's descriptions, shown by `alloc status`. */
export const DESCRIPTIONS = {
  notNeeded: 'alloc not needed due to job update',
  jobStopped: 'alloc not needed since job was stopped',
  migrating: 'alloc is being migrated',
  updating: 'alloc is being updated due to job update',
  lost: 'alloc is lost since its node is down',
} as const;

/** Failed allocations whose follow-up evaluations fall within this window share one evaluation. */
const FOLLOWUP_WINDOW_MS = 5_000;

/** An allocation the scheduler must place. */
export interface PlacementRequest {
  group: TaskGroup;
  index: number;
  previous: Allocation | null;
  /**
   * `resume`: a new placement of a sticky/migrate group whose name was used before by an
   * allocation that stopped without a replacement (job stopped and run again, scaled down and up):
   * it takes over that allocation's data (see {@link lastStopped}).
   */
  reason: 'new' | 'resume' | 'reschedule' | 'lost' | 'migrate' | 'destructive';
  /** Nodes the replacement of a failed allocation avoids. */
  penaltyNodeIds: readonly string[];
  tracker: RescheduleTracker | null;
}

/** Requests without penalised nodes share one frozen list: a million placements made a million empty arrays. */
const NO_PENALTY: readonly string[] = Object.freeze([]);

/** An existing allocation the plan stops. */
export interface StopRequest {
  alloc: Allocation;
  desiredStatus: 'stop' | 'evict';
  description: string;
  /** Set when the server must record the allocation as lost (its node is down). */
  lost: boolean;
}

/** What the reconciler decided. */
export interface ReconcileResult {
  stops: StopRequest[];
  inPlace: Allocation[];
  places: PlacementRequest[];
  /** Failed allocations to reschedule later, batched by the time their follow-up evaluation runs. */
  followups: { waitUntilMs: number; allocs: Allocation[] }[];
  desired: Record<string, DesiredUpdates>;
}

type SlotKind = 'keep' | 'inplace' | 'destructive' | 'migrate' | 'lost' | 'now' | 'later' | 'failed' | 'done';
interface Slot {
  index: number;
  kind: SlotKind;
  alloc: Allocation;
  delayMs: number;
}

function emptyUpdates(): DesiredUpdates {
  return { place: 0, stop: 0, ignore: 0, migrate: 0, inPlaceUpdate: 0, destructiveUpdate: 0, rescheduleNow: 0, rescheduleLater: 0, lost: 0 };
}

function classify(state: StateSnapshot, job: Job, group: TaskGroup, alloc: Allocation, nowMs: number): Slot | null {
  const slot = (kind: SlotKind, delayMs = 0): Slot => ({ index: allocIndex(alloc.name), kind, alloc, delayMs });
  if (alloc.desiredStatus !== 'run' || alloc.nextAllocation !== '') return null;
  if (alloc.clientStatus === 'complete') return job.type === 'batch' ? slot('done') : null;
  if (alloc.clientStatus === 'lost') return slot('lost');
  if (alloc.clientStatus === 'failed') {
    const failedAt = failTimeMs(alloc);
    if (!rescheduleEligible(group.reschedule, alloc.rescheduleTracker, failedAt)) return slot('failed');
    const delayMs = nextDelayMs(group.reschedule, alloc.rescheduleTracker, failedAt);
    // Due by time alone: a follow-up evaluation that runs early (or any other evaluation that runs
    // late) decides the same way.
    return slot(failedAt + delayMs <= nowMs ? 'now' : 'later', delayMs);
  }
  const node = state.node(alloc.nodeId);
  if (!node || node.status === 'down') return slot('lost');
  if (node.drain !== null) return slot('migrate');
  if (alloc.jobVersion === job.version) return slot('keep');
  const old = state.jobVersion(alloc.namespace, alloc.jobId, alloc.jobVersion)?.groups.find((g) => g.name === group.name);
  if (!old || tasksUpdated(old, group)) return slot('destructive');
  return requirementsReason(node, groupRequirements(job, group), allocIndex(alloc.name)) === undefined ? slot('inplace') : slot('destructive');
}

/**
 * Per index, the newest terminal allocation of `group` that nothing replaced (`nextAllocation`
 * empty): what a sticky/migrate placement of that index takes its data from. Beyond Nomad, which
 * starts such placements empty (hashicorp/nomad#14977): a job stopped and run again, as
 * `pilotfish up --scheduler` does on every start, keeps its data as long as the previous
 * allocation has not been garbage-collected.
 */
function lastStopped(allocs: readonly Allocation[], group: string): Map<number, Allocation> {
  const byIndex = new Map<number, Allocation>();
  for (const a of allocs) {
    if (a.taskGroup !== group || !isTerminal(a) || a.nextAllocation !== '') continue;
    const index = allocIndex(a.name);
    const seen = byIndex.get(index);
    if (index >= 0 && (!seen || a.modifyTimeMs > seen.modifyTimeMs || (a.modifyTimeMs === seen.modifyTimeMs && a.createTimeMs > seen.createTimeMs))) byIndex.set(index, a);
  }
  return byIndex;
}

/** Decides, for every group of `job` (undefined or stopped: stop everything), what the plan must do. */
export function reconcile(state: StateSnapshot, job: Job | undefined, allocs: readonly Allocation[], nowMs: number): ReconcileResult {
  const result: ReconcileResult = { stops: [], inPlace: [], places: [], followups: [], desired: {} };
  const groups = new Map((job && !job.stop ? job.groups : []).map((g) => [g.name, g]));
  for (const alloc of allocs) {
    if (isTerminal(alloc) || groups.has(alloc.taskGroup)) continue;
    const desired = (result.desired[alloc.taskGroup] ??= emptyUpdates());
    desired.stop++;
    result.stops.push({ alloc, desiredStatus: 'stop', description: job && !job.stop ? DESCRIPTIONS.notNeeded : DESCRIPTIONS.jobStopped, lost: false });
  }
  if (!job || job.stop) return result;
  const later: { waitUntilMs: number; alloc: Allocation }[] = [];
  for (const group of job.groups) {
    const desired = (result.desired[group.name] ??= emptyUpdates());
    const slots: Slot[] = [];
    for (const alloc of allocs) {
      if (alloc.taskGroup !== group.name) continue;
      const slot = classify(state, job, group, alloc, nowMs);
      if (slot) slots.push(slot);
    }
    slots.sort((a, b) => a.index - b.index);
    const excess = slots.splice(group.count, Math.max(0, slots.length - group.count));
    for (const s of excess) {
      if (isTerminal(s.alloc)) continue;
      desired.stop++;
      result.stops.push({ alloc: s.alloc, desiredStatus: 'stop', description: s.kind === 'lost' ? DESCRIPTIONS.lost : DESCRIPTIONS.notNeeded, lost: s.kind === 'lost' });
    }
    let budget = Infinity;
    if (group.update && group.update.maxParallel > 0) {
      const inFlight = allocs.filter((a) => a.taskGroup === group.name && a.jobVersion === job.version && a.desiredStatus === 'run' && a.clientStatus === 'pending').length;
      budget = Math.max(0, group.update.maxParallel - inFlight);
    }
    const replace = (s: Slot, reason: PlacementRequest['reason'], extra: Partial<PlacementRequest> = {}): void => {
      result.places.push({ group, index: s.index, previous: s.alloc, reason, penaltyNodeIds: NO_PENALTY, tracker: null, ...extra });
    };
    for (const s of slots) {
      switch (s.kind) {
        case 'keep':
        case 'failed':
        case 'done':
          desired.ignore++;
          break;
        case 'inplace':
          desired.inPlaceUpdate++;
          result.inPlace.push(s.alloc);
          break;
        case 'destructive':
          if (budget <= 0) {
            desired.ignore++;
            break;
          }
          budget--;
          desired.destructiveUpdate++;
          result.stops.push({ alloc: s.alloc, desiredStatus: 'stop', description: DESCRIPTIONS.updating, lost: false });
          replace(s, 'destructive');
          break;
        case 'migrate':
          desired.migrate++;
          result.stops.push({ alloc: s.alloc, desiredStatus: 'evict', description: DESCRIPTIONS.migrating, lost: false });
          replace(s, 'migrate');
          break;
        case 'lost':
          desired.lost++;
          if (!isTerminal(s.alloc)) result.stops.push({ alloc: s.alloc, desiredStatus: 'stop', description: DESCRIPTIONS.lost, lost: true });
          replace(s, 'lost');
          break;
        case 'now':
          desired.rescheduleNow++;
          replace(s, 'reschedule', { penaltyNodeIds: penaltyNodeIds(s.alloc), tracker: nextTracker(group.reschedule, s.alloc, nowMs, s.delayMs) });
          break;
        case 'later':
          desired.rescheduleLater++;
          if (s.alloc.followupEvalId === '') later.push({ waitUntilMs: failTimeMs(s.alloc) + s.delayMs, alloc: s.alloc });
          break;
      }
    }
    const used = new Set(slots.map((s) => s.index));
    let next = 0;
    const stopped = group.count > slots.length && (group.ephemeralDisk.sticky || group.ephemeralDisk.migrate) ? lastStopped(allocs, group.name) : null;
    // the lowest free indices in order; `next` only grows, so taken ones need not be added to `used`
    for (let missing = group.count - slots.length; missing > 0; missing--) {
      while (used.has(next)) next++;
      desired.place++;
      const previous = stopped?.get(next) ?? null;
      result.places.push({ group, index: next, previous, reason: previous ? 'resume' : 'new', penaltyNodeIds: NO_PENALTY, tracker: null });
      next++;
    }
  }
  later.sort((a, b) => a.waitUntilMs - b.waitUntilMs);
  for (const l of later) {
    const batch = result.followups[result.followups.length - 1];
    if (batch && l.waitUntilMs - batch.waitUntilMs <= FOLLOWUP_WINDOW_MS && batch.allocs.length > 0) {
      batch.allocs.push(l.alloc);
      batch.waitUntilMs = Math.max(batch.waitUntilMs, l.waitUntilMs);
    } else result.followups.push({ waitUntilMs: l.waitUntilMs, allocs: [l.alloc] });
  }
  return result;
}
