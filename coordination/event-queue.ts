/**
 * A push-to-pull bridge for watches: the store's callbacks `push` events, the consumer iterates
 * them in order. `fail` ends the iteration with an error after the queued events were delivered;
 * aborting the signal ends it at once without one.
 */
export class EventQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | undefined;
  private failure: unknown;
  private ended = false;

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.end(), { once: true });
  }

  push(item: T): void {
    if (this.ended || this.failure !== undefined) return;
    this.items.push(item);
    this.wake();
  }

  fail(err: unknown): void {
    if (this.ended || this.failure !== undefined) return;
    this.failure = err;
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.signal.aborted || this.ended) return;
      const next = this.items.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.failure !== undefined) throw this.failure;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }
}
