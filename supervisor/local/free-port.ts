import { createServer } from 'node:net';

/**
 * Ports are picked below Linux's ephemeral range (32768+, `net.ipv4.ip_local_port_range`): a port
 * the OS hands out for `listen(0)` comes from that range, and once the probe closes it, any
 * outgoing connection on the machine may take it as its local port before the real server binds
 * it ("Address already in use"). Below the range only listeners compete.
 */
const LOW = 20_000;
const HIGH = 32_000;
/** Ports this process handed out: two servers started side by side must not get the same one. */
const handedOut = new Set<number>();

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.on('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * The first of `count` consecutive TCP ports that were all free on 127.0.0.1 a moment ago and
 * were not handed out before by this process. For jobs that derive ports from an allocation index
 * (`base + index`).
 */
export async function freeLoopbackPortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = LOW + Math.floor(Math.random() * (HIGH - LOW - count));
    let free = true;
    for (let i = 0; i < count && free; i++) free = !handedOut.has(base + i) && (await isFree(base + i));
    if (!free) continue;
    for (let i = 0; i < count; i++) handedOut.add(base + i);
    return base;
  }
  throw new Error(`no ${count} consecutive free ports found between ${LOW} and ${HIGH}`);
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freeLoopbackPort(): Promise<number> {
  return freeLoopbackPortRange(1);
}
