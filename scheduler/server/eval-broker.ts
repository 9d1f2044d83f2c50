import type { Evaluation } from '../structs/index.js';

/**
 * The evaluation queue. Ready evaluations are handed out by priority, then age; an evaluation
 * with `waitUntilMs` in the future (a delayed reschedule) is held on a timer until then. At most
 * one evaluation per job is out at a time, as in Nomad, so two workers never plan the same job
 * concurrently; a second evaluation of a busy job waits until `ack` of the first.
 *
 * The broker is memory only: the state store is the source of truth, and the server re-enqueues
 * every `pending` evaluation at start-up.
 */
export class EvalBroker {
  private readonly ready: Evaluation[] = [];
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  private readonly known = new Set<string>();
  private readonly busyJobs = new Set<string>();
  private readonly waiters: ((evaluation: Evaluation) => void)[] = [];
  private closed = false;

  constructor(private readonly nowMs: () => number = Date.now) {}

  /** Queues an evaluation once (re-enqueueing a known id is a no-op). */
  enqueue(evaluation: Evaluation): void {
    if (this.closed || this.known.has(evaluation.id)) return;
    this.known.add(evaluation.id);
    const waitMs = evaluation.waitUntilMs - this.nowMs();
    if (waitMs > 0) {
      this.delayed.set(
        evaluation.id,
        setTimeout(() => {
          this.delayed.delete(evaluation.id);
          this.makeReady(evaluation);
        }, waitMs),
      );
      return;
    }
    this.makeReady(evaluation);
  }

  private makeReady(evaluation: Evaluation): void {
    this.ready.push(evaluation);
    this.ready.sort((a, b) => b.priority - a.priority || a.createTimeMs - b.createTimeMs);
    this.dispatch();
  }

  private dispatch(): void {
    while (this.waiters.length > 0) {
      const at = this.ready.findIndex((e) => !this.busyJobs.has(`${e.namespace}/${e.jobId}`));
      if (at < 0) return;
      const [evaluation] = this.ready.splice(at, 1) as [Evaluation];
      this.busyJobs.add(`${evaluation.namespace}/${evaluation.jobId}`);
      (this.waiters.shift() as (e: Evaluation) => void)(evaluation);
    }
  }

  /** Waits for the next evaluation a worker may process; rejects when `signal` aborts. */
  dequeue(signal: AbortSignal): Promise<Evaluation> {
    return new Promise((resolve, reject) => {
      const waiter = (evaluation: Evaluation) => {
        signal.removeEventListener('abort', onAbort);
        resolve(evaluation);
      };
      const onAbort = () => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(signal.reason);
      };
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.dispatch();
    });
  }

  /** Marks a dequeued evaluation done, releasing its job for the next one. */
  ack(evaluation: Evaluation): void {
    this.known.delete(evaluation.id);
    this.busyJobs.delete(`${evaluation.namespace}/${evaluation.jobId}`);
    this.dispatch();
  }

  /** Evaluations waiting (ready and delayed), for status output. */
  stats(): { ready: number; delayed: number } {
    return { ready: this.ready.length, delayed: this.delayed.size };
  }

  /** Drops every timer; later enqueues are ignored. */
  close(): void {
    this.closed = true;
    for (const timer of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
  }
}
