import { join } from 'node:path';
import { freePort } from './ports.js';
import { spawnTracked, type TrackedProcess } from './processes.js';
import { tempDir } from './tmp.js';
import { waitFor } from './wait.js';

/** A real single-member etcd on 127.0.0.1 with its own data directory. */
export interface EtcdHandle {
  endpoint: string;
  process: TrackedProcess;
  dataDir: string;
  /** SIGKILL etcd and remove its data. */
  stop(): Promise<void>;
}

export async function startEtcd(): Promise<EtcdHandle> {
  const dir = tempDir('pf-etcd-');
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const process = spawnTracked(
    'etcd',
    [
      '--name=test',
      `--data-dir=${join(dir.path, 'data')}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=test=${peer}`,
      '--log-level=error',
    ],
    { logFile: join(dir.path, 'etcd.log') },
  );
  await waitFor(
    'etcd health',
    async () => {
      const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    },
    { timeoutMs: 20_000 },
  );
  return {
    endpoint,
    process,
    dataDir: dir.path,
    async stop() {
      await process.kill();
      dir.remove();
    },
  };
}
