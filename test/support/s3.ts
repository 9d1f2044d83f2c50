import { join } from 'node:path';
import { repoRoot } from './paths.js';
import { freePort } from './ports.js';
import { spawnTracked, type TrackedProcess } from './processes.js';
import { tempDir } from './tmp.js';
import { waitFor } from './wait.js';

const SERVER = join(repoRoot, 'test', 'fixtures', 's3-server.mjs');

/** An S3 endpoint (s3rver) in its own process on 127.0.0.1, with one bucket. */
export interface S3Handle {
  endpoint: string;
  bucket: string;
  /** s3rver accepts these fixed credentials. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  process: TrackedProcess;
  /** Kills the endpoint (its files stay, so `start` serves them again). */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startS3(bucket = 'pilotfish-test'): Promise<S3Handle> {
  const dir = tempDir('pf-s3-');
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const launch = async () => {
    const proc = spawnTracked(process.execPath, [SERVER, String(port), join(dir.path, 'data'), bucket], {
      logFile: join(dir.path, 's3.log'),
    });
    await waitFor('s3rver to listen', async () => {
      if (proc.child.exitCode !== null) throw new Error(`s3rver exited; see ${dir.path}/s3.log`);
      const res = await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
      return res.status > 0;
    });
    return proc;
  };
  let current = await launch();
  return {
    endpoint,
    bucket,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    get process() {
      return current;
    },
    async kill() {
      await current.kill();
    },
    async start() {
      current = await launch();
    },
    async stop() {
      await current.kill();
      dir.remove();
    },
  };
}
