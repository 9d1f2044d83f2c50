/**
 * The migration protocol between the server and the agents: what `POST /v1/allocation/:id/migration`
 * answers the destination agent of a sticky or migrating allocation.
 */
export interface MigrationInfo {
  allocId: string;
  prevAllocId: string;
  prevNodeId: string;
  sameNode: boolean;
  prevTerminal: boolean;
  prevNodeDown: boolean;
  /** `host:port` of the previous node's agent API; empty when unknown. */
  sourceAddress: string;
  /** Present only when the data must be pulled from another node. */
  token?: string;
}
