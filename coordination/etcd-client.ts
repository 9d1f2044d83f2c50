import { Etcd3, EtcdLeaseInvalidError, type IOptions, type LeaseClient } from 'etcd3';

/**
 * etcd3 client construction and the one lease call etcd3 only offers as a stream. Kept apart from
 * the adapter so the adapter reads as the data model, and this file as the transport's quirks.
 */

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/**
 * A policy that calls straight through. etcd3's defaults retry three times and open a circuit
 * breaker for 5 s after failures; both would make calls outlive our deadline or keep failing after
 * etcd is back. Our callers already retry on their own schedule (the HA loop), so the client must not.
 */
function passThroughPolicy(): Policy {
  const noEvent = () => ({ dispose: () => undefined });
  const policy = {
    onSuccess: noEvent,
    onFailure: noEvent,
    execute: <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T) =>
      Promise.resolve().then(() => fn({ signal: new AbortController().signal })),
  };
  return policy as unknown as Policy;
}

export interface EtcdClientOptions {
  endpoints: readonly string[];
  timeoutMs: number;
  username?: string;
  password?: string;
}

export function createEtcdClient(options: EtcdClientOptions): Etcd3 {
  return new Etcd3({
    hosts: [...options.endpoints],
    dialTimeout: options.timeoutMs,
    auth:
      options.username !== undefined && options.password !== undefined
        ? { username: options.username, password: options.password }
        : undefined,
    faultHandling: { global: passThroughPolicy(), host: () => passThroughPolicy() },
    // grpc-js waits up to 20 s between reconnects by default; etcd back from a pause should be
    // usable at the next HA cycle.
    grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1000 },
  });
}

/**
 * One LeaseKeepAlive round trip: etcd exposes keepalive only as a bidirectional stream, so open
 * one, send the lease id, read one answer and close it. Returns the remaining TTL in seconds;
 * 0 means the lease had already expired. The stream is cancelled when `signal` aborts.
 */
export async function keepAliveOnce(
  leases: LeaseClient,
  leaseId: string,
  deadline: Date,
  signal: AbortSignal,
): Promise<number> {
  const stream = await leases.leaseKeepAlive({ deadline });
  try {
    const ttlSeconds = await new Promise<number>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      stream.on('data', (res: { TTL: string }) => resolve(Number(res.TTL)));
      stream.on('error', reject);
      stream.write({ ID: leaseId });
    });
    stream.end();
    return ttlSeconds;
  } finally {
    stream.cancel();
  }
}

export function isLeaseInvalid(err: unknown): boolean {
  return err instanceof EtcdLeaseInvalidError || (err instanceof Error && /requested lease not found/.test(err.message));
}

/** The smallest key greater than every key with `prefix`: etcd's range_end for a prefix scan. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
