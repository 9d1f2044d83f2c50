import { PilotfishError } from '../../common/errors.js';
import type { Job } from '../structs/index.js';
import type { ClientAllocUpdate } from './alloc-service.js';
import { protectedAllocIds } from './gc.js';
import type { ServerContext } from './context.js';
import type { RouteRequest, Router } from '../http/router.js';
import type { NodeRegistration } from './node-service.js';

/** Longest a node's allocation long-poll is held open. */
const MAX_WAIT_MS = 30_000;

/** A node principal may only act as itself. */
function checkSelf(request: RouteRequest, nodeId: string): void {
  if (request.principal.kind === 'node' && request.principal.nodeId !== nodeId) {
    throw new PilotfishError('FORBIDDEN', `this node secret belongs to node ${request.principal.nodeId}, not ${nodeId}`);
  }
}

function notFound(what: string, id: string): { status: number; body: unknown } {
  return { status: 404, body: { error: `${what} ${id} not found` } };
}

/** Waits until the node's allocations change past `index`, `waitMs` passes, or the caller leaves. */
function waitForAllocChange(ctx: ServerContext, nodeId: string, index: number, waitMs: number, signal: AbortSignal): Promise<void> {
  if (ctx.store.allocIndexOfNode(nodeId) > index || waitMs <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      ctx.store.off('change', onChange);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const onChange = () => {
      if (ctx.store.allocIndexOfNode(nodeId) > index) done();
    };
    const timer = setTimeout(done, Math.min(waitMs, MAX_WAIT_MS));
    ctx.store.on('change', onChange);
    signal.addEventListener('abort', done, { once: true });
  });
}

const memo = new WeakMap<ServerContext['store'], { index: number; ids: Set<string> }>();

/** {@link protectedAllocIds}, computed once per store and state index (every agent's long-poll asks). */
function protectedOf(store: ServerContext['store']): Set<string> {
  let entry = memo.get(store);
  if (entry?.index !== store.index) memo.set(store, (entry = { index: store.index, ids: protectedAllocIds(store) }));
  return entry.ids;
}

/** Node routes: agent endpoints (register, heartbeat, allocations) and operator endpoints (status, drain, eligibility). */
export function addNodeRoutes(router: Router, ctx: ServerContext): void {
  router.add(
    'POST',
    '/v1/node/register',
    (req) => {
      const reg = (req.body as { node?: NodeRegistration } | undefined)?.node as NodeRegistration;
      if (reg?.id) checkSelf(req, reg.id);
      const presented = req.principal.kind === 'node' ? ctx.store.nodeSecret(req.principal.nodeId) : undefined;
      return { body: ctx.nodes.register(reg, presented) };
    },
    { node: true },
  );
  router.add(
    'PUT',
    '/v1/node/:id/heartbeat',
    (req) => {
      checkSelf(req, req.params.id as string);
      const out = ctx.nodes.heartbeat(req.params.id as string);
      return out ? { body: out } : notFound('node', req.params.id as string);
    },
    { node: true },
  );
  router.add(
    'GET',
    '/v1/node/:id/allocations',
    async (req) => {
      const nodeId = req.params.id as string;
      checkSelf(req, nodeId);
      if (!ctx.store.node(nodeId)) return notFound('node', nodeId);
      const index = Number(req.query.get('index') ?? '0') || 0;
      const waitMs = Number(req.query.get('waitMs') ?? '0') || 0;
      await waitForAllocChange(ctx, nodeId, index, waitMs, req.signal);
      const allocs = ctx.store.allocsByNode(nodeId).map((alloc) => ({
        alloc,
        job: ctx.store.jobVersion(alloc.namespace, alloc.jobId, alloc.jobVersion) as Job,
      }));
      // terminal allocations of this node whose data may still be pulled or resumed: the agent's GC keeps them
      const keep = protectedOf(ctx.store);
      return { body: { index: ctx.store.allocIndexOfNode(nodeId), allocs, keep: allocs.filter((a) => keep.has(a.alloc.id)).map((a) => a.alloc.id) } };
    },
    { node: true },
  );
  router.add(
    'POST',
    '/v1/node/:id/allocations',
    (req) => {
      const nodeId = req.params.id as string;
      checkSelf(req, nodeId);
      const updates = (req.body as { allocs?: ClientAllocUpdate[] } | undefined)?.allocs as ClientAllocUpdate[];
      return { body: ctx.allocs.updateFromClient(req.principal.kind === 'node' ? nodeId : undefined, updates) };
    },
    { node: true },
  );
  router.add('GET', '/v1/nodes', () => ({ body: ctx.store.nodes() }));
  router.add('GET', '/v1/node/:id', (req) => {
    const node = ctx.findNode(req.params.id as string);
    if (!node) return notFound('node', req.params.id as string);
    return { body: { node, allocs: ctx.store.allocsByNode(node.id) } };
  });
  router.add('POST', '/v1/node/:id/drain', (req) => {
    const body = (req.body ?? {}) as { enable?: boolean; deadlineMs?: number };
    const node = ctx.findNode(req.params.id as string);
    if (!node) return notFound('node', req.params.id as string);
    return { body: ctx.nodes.drain(node.id, body.enable !== false, Number(body.deadlineMs ?? 0)) };
  });
  router.add('POST', '/v1/node/:id/eligibility', (req) => {
    const body = (req.body ?? {}) as { eligible?: boolean };
    if (typeof body.eligible !== 'boolean') throw new PilotfishError('SCHEDULER_API', 'body.eligible must be true or false');
    const node = ctx.findNode(req.params.id as string);
    if (!node) return notFound('node', req.params.id as string);
    return { body: ctx.nodes.eligibility(node.id, body.eligible) };
  });
}
