import type { Allocation, Evaluation, Plan } from '../structs/index.js';
import { exhaustedDimension, isTerminal, nodeCapacity } from '../structs/index.js';
import type { StateStore } from './state-store.js';

/**
 * The plan applier: the one place allocations are committed. The scheduler planned against a
 * snapshot that may be stale by the time the plan arrives (a node went down, another plan
 * used the room), so every node that receives placements is checked again — still known,
 * `ready`, eligible, not draining, and with room once this plan's stops are taken out — before
 * anything is written. Nodes that fail the check lose their placements (Nomad commits the rest of
 * the plan too) and the caller re-evaluates the job. The whole result is one durable state op.
 */

/** What was committed. */
export interface PlanResult {
  /** Nodes whose placements were refused, with the reason. */
  rejected: Record<string, string>;
  placed: number;
  stopped: number;
}

function rejectReason(store: StateStore, plan: Plan, nodeId: string, placements: readonly Allocation[]): string | undefined {
  const node = store.node(nodeId);
  if (!node) return 'node unknown';
  if (node.status !== 'ready') return `node is ${node.status}`;
  if (node.schedulingEligibility !== 'eligible') return 'node is ineligible';
  if (node.drain) return 'node is draining';
  const leaving = new Set([
    ...(plan.nodeUpdate[nodeId] ?? []).map((a) => a.id),
    ...(plan.nodeInPlaceUpdate[nodeId] ?? []).map((a) => a.id),
  ]);
  const used = { cpuMhz: 0, memoryMb: 0, diskMb: 0 };
  const add = (a: Allocation) => {
    used.cpuMhz += a.resources.cpuMhz;
    used.memoryMb += a.resources.memoryMb;
    used.diskMb += a.resources.diskMb;
  };
  for (const alloc of store.allocsByNode(nodeId)) if (!isTerminal(alloc) && !leaving.has(alloc.id)) add(alloc);
  for (const alloc of plan.nodeInPlaceUpdate[nodeId] ?? []) add(alloc);
  const ask = { cpuMhz: 0, memoryMb: 0, diskMb: 0 };
  for (const alloc of placements) {
    ask.cpuMhz += alloc.resources.cpuMhz;
    ask.memoryMb += alloc.resources.memoryMb;
    ask.diskMb += alloc.resources.diskMb;
  }
  const dimension = exhaustedDimension(nodeCapacity(node), used, ask);
  return dimension ? `${dimension} exhausted` : undefined;
}

/**
 * Commits `plan` for `evaluation` together with `extraEvals` (the evaluation's own new status,
 * follow-ups, a blocked evaluation) as one state op; returns what was committed.
 */
export function applyPlan(store: StateStore, plan: Plan, extraEvals: readonly Evaluation[], nowMs: number): PlanResult {
  const rejected: Record<string, string> = {};
  const allocs = new Map<string, Allocation>();
  const put = (alloc: Allocation) => allocs.set(alloc.id, alloc);
  let placed = 0;
  for (const [nodeId, placements] of Object.entries(plan.nodeAllocation)) {
    if (placements.length === 0) continue;
    const reason = rejectReason(store, plan, nodeId, placements);
    if (reason) {
      rejected[nodeId] = reason;
      continue;
    }
    for (const alloc of placements) {
      put({ ...alloc, createTimeMs: alloc.createTimeMs || nowMs, modifyTimeMs: nowMs });
      placed += 1;
    }
  }
  let stopped = 0;
  for (const updates of Object.values(plan.nodeUpdate)) {
    for (const alloc of updates) {
      put({ ...alloc, modifyTimeMs: nowMs });
      stopped += 1;
    }
  }
  for (const updates of Object.values(plan.nodeInPlaceUpdate)) for (const alloc of updates) put({ ...alloc, modifyTimeMs: nowMs });
  for (const alloc of plan.attributeUpdates) if (!allocs.has(alloc.id)) put({ ...alloc, modifyTimeMs: nowMs });
  // Link replaced allocations forward, so `alloc status` can follow a chain of replacements.
  for (const alloc of [...allocs.values()]) {
    if (!alloc.previousAllocation || store.alloc(alloc.id)) continue;
    const previous = allocs.get(alloc.previousAllocation) ?? store.alloc(alloc.previousAllocation);
    if (previous && !previous.nextAllocation) put({ ...previous, nextAllocation: alloc.id, modifyTimeMs: nowMs });
  }
  store.apply({ allocs: [...allocs.values()], evals: [...extraEvals] });
  return { rejected, placed, stopped };
}
