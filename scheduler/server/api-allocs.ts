import type { ServerContext } from './context.js';
import type { Router } from '../http/router.js';

/** Allocation and evaluation routes (read-only; allocations change through plans and agents). */
export function addAllocRoutes(router: Router, ctx: ServerContext): void {
  router.add('GET', '/v1/allocations', (req) => {
    const job = req.query.get('job');
    const allocs = ctx.store.allocs().filter((a) => !job || a.jobId === job);
    return { body: allocs };
  });
  router.add('GET', '/v1/allocation/:id', (req) => {
    const alloc = ctx.allocs.find(req.params.id as string);
    if (!alloc) return { status: 404, body: { error: `allocation ${req.params.id} not found` } };
    const node = ctx.store.node(alloc.nodeId);
    return { body: { alloc, node: node ? { id: node.id, name: node.name, httpAddress: node.httpAddress, status: node.status } : null } };
  });
  router.add('GET', '/v1/evaluations', () => ({ body: ctx.store.evals() }));
  router.add('GET', '/v1/evaluation/:id', (req) => {
    const evaluation = ctx.store.evaluation(req.params.id as string);
    return evaluation ? { body: evaluation } : { status: 404, body: { error: `evaluation ${req.params.id} not found` } };
  });
  router.add('GET', '/v1/status', () => ({
    body: {
      index: ctx.store.index,
      nodes: ctx.store.nodes().length,
      jobs: ctx.store.jobs().length,
      allocs: ctx.store.allocs().length,
      broker: ctx.broker.stats(),
    },
  }));
}
