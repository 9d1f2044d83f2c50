import { PilotfishError } from '../../common/errors.js';
import type { Node } from '../structs/index.js';
import type { AllocService } from './alloc-service.js';
import type { EvalBroker } from './eval-broker.js';
import type { JobService } from './job-service.js';
import type { NodeService } from './node-service.js';
import type { StateStore } from './state-store.js';

/** What the HTTP routes work with: the state and the services that change it. */
export interface ServerContext {
  store: StateStore;
  broker: EvalBroker;
  jobs: JobService;
  nodes: NodeService;
  allocs: AllocService;
  /** A node by id, unique id prefix or unique name. */
  findNode(idOrName: string): Node | undefined;
}

/** Finds a node by id, name or unique id prefix; an ambiguous prefix is an error naming the count. */
export function findNode(nodes: readonly Node[], key: string): Node | undefined {
  const exact = nodes.find((n) => n.id === key) ?? nodes.find((n) => n.name === key);
  if (exact) return exact;
  if (key.length < 4) return undefined;
  const matches = nodes.filter((n) => n.id.startsWith(key));
  if (matches.length > 1) throw new PilotfishError('SCHEDULER_API', `node prefix ${key} matches ${matches.length} nodes; give more characters`);
  return matches[0];
}
