/**
 * Heartbeat timers, one per node. An agent heartbeats well within `ttlMs` (it is told the TTL
 * at registration and on every heartbeat); when a node has not been heard from for
 * `ttlMs + graceMs` the timer fires `onExpire`, and the server marks the node down and its
 * allocations lost. Timers are memory only: after a server restart every known, non-down node
 * gets a fresh timer (Nomad does the same), so a server outage never makes nodes look dead.
 */
export class Heartbeats {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    readonly ttlMs: number,
    private readonly graceMs: number,
    private readonly onExpire: (nodeId: string) => void,
  ) {}

  /** (Re)starts the node's timer; called on registration and on every heartbeat. */
  reset(nodeId: string): void {
    clearTimeout(this.timers.get(nodeId));
    const timer = setTimeout(() => {
      this.timers.delete(nodeId);
      this.onExpire(nodeId);
    }, this.ttlMs + this.graceMs);
    timer.unref();
    this.timers.set(nodeId, timer);
  }

  /** Stops watching a node. */
  remove(nodeId: string): void {
    clearTimeout(this.timers.get(nodeId));
    this.timers.delete(nodeId);
  }

  /** Nodes currently watched. */
  get watched(): number {
    return this.timers.size;
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
