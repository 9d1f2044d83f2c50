/**
 * Heartbeat timers, one per node. An agent heartbeats well within `ttlMs` (it is told the TTL
 * at registration and on every heartbeat); when a node has not been heard from for
 * `ttlMs + graceMs` the timer fires `onExpire`, and the server marks the node down and its
 * allocations lost.
 *
 * Timers are memory only. After a server restart nothing is known about when each node last
 * heartbeated, and agents that were backing off while the server was gone (or machines that
 * are booting with it) need time to find it again, so every known, non-down node gets the
 * longer `failoverTtlMs` instead (Nomad's `failover_heartbeat_ttl`, applied after a leader
 * election). The node's first heartbeat or registration puts it back on the normal timer.
 */
export class Heartbeats {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    readonly ttlMs: number,
    private readonly graceMs: number,
    private readonly failoverTtlMs: number,
    private readonly onExpire: (nodeId: string) => void,
  ) {}

  /** (Re)starts the node's timer; called on registration and on every heartbeat. */
  reset(nodeId: string): void {
    this.arm(nodeId, this.ttlMs + this.graceMs);
  }

  /** Starts the timer of a node known from the restored state, which has not been heard from yet. */
  restored(nodeId: string): void {
    this.arm(nodeId, this.failoverTtlMs + this.graceMs);
  }

  private arm(nodeId: string, afterMs: number): void {
    clearTimeout(this.timers.get(nodeId));
    const timer = setTimeout(() => {
      this.timers.delete(nodeId);
      this.onExpire(nodeId);
    }, afterMs);
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
