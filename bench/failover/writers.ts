import type mysql from 'mysql2/promise';
import type { ClusterHandle } from './cluster-handle.js';

/** Rejects when `promise` has not settled within `ms`: no step of a writer may hang a round. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One acknowledged insert: the id is unique over all writers. */
export interface Ack {
  id: number;
  atMs: number;
  member: string;
}

/**
 * Inserts sequence numbers in a loop, through whichever member `target()` names, until stopped.
 * Every insert the server acknowledged is recorded; a failure drops the connection and retries.
 */
export class Writer {
  readonly acks: Ack[] = [];
  readonly failures: number[] = [];
  private seq = 0;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly cluster: ClusterHandle,
    private readonly base: number,
    private readonly target: () => Promise<string | null>,
  ) {}

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    let conn: mysql.Connection | null = null;
    let member: string | null = null;
    while (!this.stopped) {
      try {
        const want = await within(this.target(), 3000, 'finding the target');
        if (want === null) throw new Error('no target');
        if (conn === null || member !== want) {
          // destroy, not end: ending waits for the old server's answer, which a fenced or frozen server may never send
          conn?.destroy();
          conn = null;
          member = want;
          const connecting = this.cluster.app(want);
          try {
            conn = await within(connecting, 3000, 'connecting');
          } catch (err) {
            // a connection that completes after the deadline is closed, not leaked
            connecting.then((late) => late.destroy(), () => undefined);
            throw err;
          }
        }
        const id = this.base + this.seq + 1;
        // An insert that times out here may still commit later; it is simply not counted as acknowledged.
        await within(conn.query({ sql: 'INSERT INTO seq (id, writer) VALUES (?, ?)', values: [id, this.base], timeout: 2000 }), 3000, 'inserting');
        this.seq++;
        this.acks.push({ id, atMs: Date.now(), member: want });
      } catch (err) {
        // A duplicate key: an earlier attempt with this id timed out here but committed after all
        // (not acknowledged, so not counted); move on instead of failing on the same id forever.
        if ((err as { errno?: number }).errno === 1062) this.seq++;
        this.failures.push(Date.now());
        conn?.destroy();
        conn = null;
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    conn?.destroy();
  }
}

/** Reads every member's read_only every 100 ms; a sample with two writable members is split brain. */
export class Sampler {
  splitBrainSamples = 0;
  samples = 0;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(private readonly cluster: ClusterHandle) {}

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    const conns = new Map<string, mysql.Connection>();
    while (!this.stopped) {
      const writable: string[] = [];
      await Promise.all(
        this.cluster.names.map(async (name) => {
          try {
            let conn = conns.get(name);
            if (!conn) {
              conn = await this.cluster.root(name);
              conns.set(name, conn);
            }
            const [rows] = await conn.query({ sql: 'SELECT @@global.read_only AS ro', timeout: 500 });
            if (Number((rows as { ro: number }[])[0]?.ro) === 0) writable.push(name);
          } catch {
            conns.get(name)?.destroy();
            conns.delete(name);
          }
        }),
      );
      this.samples++;
      if (writable.length > 1) {
        this.splitBrainSamples++;
        process.stderr.write(`bench: split-brain sample at ${new Date().toISOString()}: writable ${writable.join(', ')}\n`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const conn of conns.values()) conn.destroy();
  }
}
