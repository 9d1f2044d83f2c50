import { PilotfishError } from '../../common/errors.js';
import type { Allocation, ClientStatus, Evaluation, Job, TaskState } from '../structs/index.js';
import type { EvalBroker } from './eval-broker.js';
import { newEvaluation } from './evals.js';
import type { StateStore } from './state-store.js';

/** What an agent reports about one of its allocations. */
export interface ClientAllocUpdate {
  id: string;
  clientStatus: ClientStatus;
  clientDescription: string;
  taskStates: Record<string, TaskState>;
}

const CLIENT_STATUSES: readonly ClientStatus[] = ['pending', 'running', 'complete', 'failed'];

/**
 * Client status updates from agents. An agent may only report its own allocations and only the
 * client side (`clientStatus`, task states); what should run stays the server's decision. An
 * allocation that turns `failed` while it should run gets an `alloc-failure` evaluation, which
 * the scheduler turns into a reschedule (now or delayed, per the group's policy); one that
 * turns terminal frees capacity, so blocked evaluations are retried.
 */
export class AllocService {
  constructor(
    private readonly store: StateStore,
    private readonly broker: EvalBroker,
    private readonly onCapacityFreed: () => void,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Applies a batch of updates from the agent of `nodeId` (`undefined`: management caller). */
  updateFromClient(nodeId: string | undefined, updates: readonly ClientAllocUpdate[]): { updated: number } {
    if (!Array.isArray(updates)) throw new PilotfishError('SCHEDULER_API', 'body.allocs must be a list of allocation updates');
    const nowMs = this.nowMs();
    const allocs: Allocation[] = [];
    const jobs = new Map<string, Job>();
    let freed = false;
    for (const update of updates) {
      const current = this.store.alloc(update.id);
      if (!current) continue;
      if (nodeId !== undefined && current.nodeId !== nodeId) {
        throw new PilotfishError('FORBIDDEN', `allocation ${update.id} does not belong to node ${nodeId}`);
      }
      if (!CLIENT_STATUSES.includes(update.clientStatus)) {
        throw new PilotfishError('SCHEDULER_API', `allocs[].clientStatus must be one of ${CLIENT_STATUSES.join(', ')}`);
      }
      // A node that comes back after being marked down does not resurrect its lost allocations.
      if (current.clientStatus === 'lost') continue;
      const next: Allocation = {
        ...current,
        clientStatus: update.clientStatus,
        clientDescription: String(update.clientDescription ?? ''),
        taskStates: update.taskStates ?? current.taskStates,
        modifyTimeMs: nowMs,
      };
      allocs.push(next);
      const becameTerminal =
        (next.clientStatus === 'failed' || next.clientStatus === 'complete') && current.clientStatus !== next.clientStatus;
      if (becameTerminal) freed = true;
      if (next.clientStatus === 'failed' && current.clientStatus !== 'failed' && next.desiredStatus === 'run') {
        const job = this.store.job(next.namespace, next.jobId);
        if (job) jobs.set(`${job.namespace}/${job.id}`, job);
      }
    }
    const evals: Evaluation[] = [...jobs.values()].map((job) => newEvaluation(job, 'alloc-failure', nowMs));
    if (allocs.length > 0 || evals.length > 0) this.store.apply({ allocs, evals });
    for (const e of evals) this.broker.enqueue(e);
    if (freed) this.onCapacityFreed();
    return { updated: allocs.length };
  }

  /** An allocation by full id or unique prefix (at least 4 characters), as the CLI accepts. */
  find(idOrPrefix: string): Allocation | undefined {
    const exact = this.store.alloc(idOrPrefix);
    if (exact) return exact;
    if (idOrPrefix.length < 4) return undefined;
    const matches = this.store.allocs().filter((a) => a.id.startsWith(idOrPrefix));
    if (matches.length > 1) {
      throw new PilotfishError('SCHEDULER_API', `allocation prefix ${idOrPrefix} matches ${matches.length} allocations; give more characters`);
    }
    return matches[0];
  }
}
