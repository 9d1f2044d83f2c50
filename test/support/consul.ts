import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startConsulDouble } from './consul-double.js';
import { freePort } from './ports.js';
import { spawnTracked } from './processes.js';
import { tempDir } from './tmp.js';
import { waitFor } from './wait.js';

/** A Consul HTTP API on 127.0.0.1: a real `consul agent -dev` when the binary is on PATH, else the double. */
export interface ConsulHandle {
  address: string;
  /** `true` for a real agent: session invalidation may then come up to 2×TTL late. */
  real: boolean;
  /** Freezes the agent (SIGSTOP, or the double holding every request). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

function consulOnPath(): boolean {
  try {
    execFileSync('consul', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function startRealConsul(): Promise<ConsulHandle> {
  const dir = tempDir('pf-consul-');
  const ports = {
    http: await freePort(),
    dns: await freePort(),
    grpc: await freePort(),
    server: await freePort(),
    serfLan: await freePort(),
    serfWan: await freePort(),
  };
  const address = `http://127.0.0.1:${ports.http}`;
  const proc = spawnTracked(
    'consul',
    [
      'agent',
      '-dev',
      '-bind=127.0.0.1',
      '-client=127.0.0.1',
      `-data-dir=${join(dir.path, 'data')}`,
      `-http-port=${ports.http}`,
      `-dns-port=${ports.dns}`,
      `-grpc-port=${ports.grpc}`,
      `-server-port=${ports.server}`,
      `-serf-lan-port=${ports.serfLan}`,
      `-serf-wan-port=${ports.serfWan}`,
    ],
    { logFile: join(dir.path, 'consul.log') },
  );
  await waitFor(
    'consul agent -dev to elect itself',
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`consul exited; see ${dir.path}/consul.log`);
      const res = await fetch(`${address}/v1/status/leader`, { signal: AbortSignal.timeout(1000) });
      return res.ok && ((await res.json()) as string) !== '';
    },
    { timeoutMs: 30_000 },
  );
  return {
    address,
    real: true,
    pause: () => proc.pause(),
    resume: () => proc.resume(),
    async stop() {
      await proc.kill();
      dir.remove();
    },
  };
}

export async function startConsul(): Promise<ConsulHandle> {
  if (consulOnPath()) return startRealConsul();
  const double = await startConsulDouble();
  return { address: double.address, real: false, pause: double.pause, resume: double.resume, stop: double.close };
}
