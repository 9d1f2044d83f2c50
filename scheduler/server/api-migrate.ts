import { PilotfishError } from '../../common/errors.js';
import { issueMigrationToken } from '../migration/token.js';
import { dataHolder } from '../structs/index.js';
import type { ServerContext } from './context.js';
import type { Router } from '../http/router.js';
import type { MigrationInfo } from '../migration/info.js';

/**
 * `POST /v1/allocation/:id/migration`: what the destination agent of a sticky/migrating
 * allocation needs to take over its previous allocation's data. Callable with the management
 * token or the node secret of the allocation's own node (never another node's).
 *
 * The "previous allocation" answered is the data holder of the chain (`structs/data-holder.ts`):
 * the direct predecessor, or an older one when the predecessors never reached an agent.
 * Answers where the previous allocation is (`sameNode`, `sourceAddress`), whether it has stopped
 * (`prevTerminal`; the agent waits for it before it moves or pulls data, so the copy is
 * consistent), whether its node is down (`prevNodeDown`: the data cannot be fetched), and, when
 * the data must cross nodes, a fresh migration token bound to {previous allocation, this node,
 * expiry in `TOKEN_TTL_MS`}.
 */

/** Lifetime of a migration token: long enough to start a large stream, short enough to be useless later. */
export const TOKEN_TTL_MS = 10 * 60_000;

export function addMigrateRoutes(router: Router, ctx: ServerContext, migrationKey: Buffer): void {
  router.add(
    'POST',
    '/v1/allocation/:id/migration',
    (req) => {
      const alloc = ctx.allocs.find(req.params.id as string);
      if (!alloc) return { status: 404, body: { error: `allocation ${req.params.id} not found` } };
      if (req.principal.kind === 'node' && req.principal.nodeId !== alloc.nodeId) {
        throw new PilotfishError('FORBIDDEN', `allocation ${alloc.id} does not run on node ${req.principal.nodeId}`);
      }
      if (alloc.previousAllocation === '') return { status: 404, body: { error: `allocation ${alloc.id} has no previous allocation` } };
      const direct = ctx.allocs.find(alloc.previousAllocation);
      // the newest allocation of the chain that ever ran: a replacement that never reached an agent has no data
      const prev = direct ? dataHolder(direct, (id) => ctx.allocs.find(id)) : undefined;
      if (!prev) return { status: 404, body: { error: `previous allocation ${alloc.previousAllocation} is gone` } };
      const prevNode = ctx.store.node(prev.nodeId);
      const sameNode = prev.nodeId === alloc.nodeId;
      const info: MigrationInfo = {
        allocId: alloc.id,
        prevAllocId: prev.id,
        prevNodeId: prev.nodeId,
        sameNode,
        // Stopped for real, not merely asked to stop: its tasks no longer write the data.
        prevTerminal: ['complete', 'failed', 'lost'].includes(prev.clientStatus),
        prevNodeDown: prevNode === undefined || prevNode.status === 'down',
        sourceAddress: prevNode?.httpAddress ?? '',
      };
      if (!sameNode) {
        info.token = issueMigrationToken(migrationKey, { prevAllocId: prev.id, destNodeId: alloc.nodeId, expiresAtMs: Date.now() + TOKEN_TTL_MS });
      }
      return { body: info };
    },
    { node: true },
  );
}
