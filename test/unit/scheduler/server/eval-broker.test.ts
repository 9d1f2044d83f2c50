import { describe, expect, it } from 'vitest';
import { EvalBroker } from '../../../../scheduler/server/eval-broker.js';
import { newEvaluation } from '../../../../scheduler/server/evals.js';

const job = (id: string, priority = 50) => ({ namespace: 'default', id, priority, type: 'service' as const });

describe('EvalBroker', () => {
  it('EvalBroker_sameJob_oneEvaluationOutAtATime', async () => {
    const broker = new EvalBroker();
    const first = newEvaluation(job('a'), 'job-register', 1);
    const second = newEvaluation(job('a'), 'job-register', 2);
    const other = newEvaluation(job('b'), 'job-register', 3);
    for (const e of [first, second, other]) broker.enqueue(e);
    const signal = new AbortController().signal;
    expect((await broker.dequeue(signal)).id).toBe(first.id);
    expect((await broker.dequeue(signal)).id).toBe(other.id);
    const pending = broker.dequeue(signal);
    broker.ack(first);
    expect((await pending).id).toBe(second.id);
    broker.close();
  });

  it('EvalBroker_priority_higherFirst', async () => {
    const broker = new EvalBroker();
    const low = newEvaluation(job('a', 10), 'job-register', 1);
    const high = newEvaluation(job('b', 90), 'job-register', 2);
    broker.enqueue(low);
    broker.enqueue(high);
    expect((await broker.dequeue(new AbortController().signal)).id).toBe(high.id);
    broker.close();
  });

  it('EvalBroker_waitUntil_heldUntilDue', async () => {
    const broker = new EvalBroker();
    const delayed = newEvaluation(job('a'), 'alloc-failure', Date.now(), { waitUntilMs: Date.now() + 300 });
    broker.enqueue(delayed);
    expect(broker.stats()).toEqual({ ready: 0, delayed: 1 });
    const t0 = Date.now();
    expect((await broker.dequeue(new AbortController().signal)).id).toBe(delayed.id);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    broker.close();
  });

  it('EvalBroker_dequeueAborted_rejects', async () => {
    const broker = new EvalBroker();
    const controller = new AbortController();
    const waiting = broker.dequeue(controller.signal);
    controller.abort(new Error('closing'));
    await expect(waiting).rejects.toThrow('closing');
    broker.close();
  });
});
