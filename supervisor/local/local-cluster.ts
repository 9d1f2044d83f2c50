import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PilotfishError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { ChildKeeper } from '../../process/keeper.js';
import type { LocalLayout } from './local-layout.js';

/** The built CLI, started once per member as `pilotfish supervise -c <member file>` (and by `up --scheduler`). */
export const PILOTFISH_BIN = fileURLToPath(new URL('../../bin/pilotfish.js', import.meta.url));

/** A kept child process of a local cluster: restarted with backoff when it crashes, stopped with `stopGraceMs` before SIGKILL. */
export function keeper(name: string, file: string, args: string[], outputFile: string, logger: Logger, stopGraceMs: number): ChildKeeper {
  return new ChildKeeper(
    () => ({ name, file, args, outputFile }),
    { backoff: { initialMs: 1000, maxMs: 15_000, jitter: 0.2 }, stableAfterMs: 60_000, stopGraceMs },
    logger,
  );
}

/** Polls the etcd health endpoint until it answers. */
async function waitForEtcd(endpoint: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new PilotfishError('PROCESS_FAILED', `etcd did not become healthy at ${endpoint} within ${timeoutMs}ms`);
}

/**
 * The processes of a local cluster: one etcd and one supervisor per member, each kept running
 * (restarted with backoff when it crashes). `stop` stops the supervisors first (each stops its
 * database cleanly and releases its lease), then etcd.
 */
export class LocalCluster {
  private readonly etcd: ChildKeeper;
  private readonly members: ChildKeeper[];

  constructor(
    private readonly layout: LocalLayout,
    memberConfigs: string[],
    logger: Logger,
  ) {
    const logs = join(layout.dir, 'logs');
    mkdirSync(logs, { recursive: true, mode: 0o700 });
    const client = `http://127.0.0.1:${layout.etcd.clientPort}`;
    const peer = `http://127.0.0.1:${layout.etcd.peerPort}`;
    this.etcd = keeper(
      'etcd',
      'etcd',
      [
        '--name=pilotfish',
        `--data-dir=${join(layout.dir, 'etcd')}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=pilotfish=${peer}`,
        '--log-level=error',
      ],
      join(logs, 'etcd.log'),
      logger,
      10_000,
    );
    this.members = layout.members.map((m, i) =>
      keeper(m.name, process.execPath, [PILOTFISH_BIN, 'supervise', '-c', memberConfigs[i] as string], join(logs, `${m.name}.log`), logger, 180_000),
    );
  }

  get etcdEndpoint(): string {
    return `http://127.0.0.1:${this.layout.etcd.clientPort}`;
  }

  async start(): Promise<void> {
    this.etcd.start();
    await waitForEtcd(this.etcdEndpoint, 30_000);
    for (const member of this.members) member.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
    await this.etcd.stop();
  }
}
