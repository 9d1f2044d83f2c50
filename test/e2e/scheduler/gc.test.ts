import { createHash, randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveMigrationKey } from '../../../scheduler/migration/migrate-key.js';
import { issueMigrationToken } from '../../../scheduler/migration/token.js';
import type { Allocation, Node } from '../../../scheduler/structs/index.js';
import { repoRoot } from '../../support/paths.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { type DataCluster, startDataCluster } from './data-cluster.js';

/**
 * Garbage collection with real processes: a server collecting terminal allocations after 2 s and
 * an agent collecting terminal allocation directories older than 3 s, every second. While a
 * migration snapshot of a stopped allocation is being streamed (read slowly by the test, holding
 * the stream open), the agent must not remove the directory (Nomad #16708); once the stream has
 * ended, it does.
 */

let dir: { path: string; remove(): void };
let cluster: DataCluster;
const fixture = join(repoRoot, 'test', 'fixtures', 'data-keeper.mjs');
const BIG_MB = 64;

const JOB = `job "plain" {
  datacenters = ["dc1"]
  group "g" {
    ephemeral_disk {
      size = 200
    }
    task "main" {
      driver       = "exec"
      kill_timeout = "2s"
      config {
        command = "node"
        args    = ["${fixture}"]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`;

beforeAll(async () => {
  dir = tempDir('pf-gc-');
  cluster = await startDataCluster(dir.path, [{ rack: 'r1', extra: ['gc_interval: 1s', 'gc_max_age: 3s'] }], 'gcInterval: 1s\nevalGcThreshold: 2s\n');
});

afterAll(async () => {
  await cluster?.teardown();
  dir?.remove();
});

function openSnapshot(node: Node, allocId: string): Promise<IncomingMessage> {
  const token = issueMigrationToken(deriveMigrationKey(cluster.token), { prevAllocId: allocId, destNodeId: 'gc-test', expiresAtMs: Date.now() + 60_000 });
  const [host, port] = [node.httpAddress.split(':')[0], Number(node.httpAddress.split(':')[1])];
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: `/v1/migrate/${allocId}/snapshot`, headers: { authorization: `Bearer ${token}`, 'x-pilotfish-node': 'gc-test' } }, resolve);
    req.on('error', reject);
    req.end();
  });
}

describe('garbage collection', () => {
  it('AllocGc_snapshotBeingStreamed_directoryKeptUntilTheStreamEnds', async () => {
    writeFileSync(join(dir.path, 'plain.hcl'), JOB);
    const run = await cluster.cli('job', 'run', join(dir.path, 'plain.hcl'));
    expect(run.exitCode, run.stderr).toBe(0);
    const alloc = await waitFor('allocation running', async () => (await cluster.allocs('plain')).find((a) => a.clientStatus === 'running'));
    const allocDir = join(cluster.agentDir(0), 'allocs', alloc.id);
    // more data than the loopback socket buffers hold, so the stream stays open while unread
    const chunk = randomBytes(1024 * 1024);
    writeFileSync(join(allocDir, 'alloc', 'data', 'big.bin'), Buffer.concat(Array.from({ length: BIG_MB }, () => chunk)));
    const stop = await cluster.cli('job', 'stop', 'plain');
    expect(stop.exitCode, stop.stderr).toBe(0);
    await waitFor('allocation complete', async () => (await cluster.allocs('plain')).find((a: Allocation) => a.id === alloc.id && a.clientStatus === 'complete'));

    const node = (await cluster.nodes())[0]!;
    const response = await openSnapshot(node, alloc.id);
    expect(response.statusCode).toBe(200);
    response.pause();
    // The server forgets the allocation (2 s), the agent's GC runs every second with a 3 s age
    // limit: without the in-flight guard the directory would be gone well within this wait.
    await waitFor('server GC of the allocation', async () => (await cluster.api(`/v1/allocation/${alloc.id}`)).status === 404, { timeoutMs: 15_000 });
    const heldUntil = Date.now() + 6_000;
    while (Date.now() < heldUntil) {
      expect(existsSync(join(allocDir, 'alloc', 'data', 'big.bin'))).toBe(true);
      await new Promise((r) => setTimeout(r, 500));
    }
    const hash = createHash('sha256');
    let bytes = 0;
    await new Promise<void>((resolve, reject) => {
      response.on('data', (b: Buffer) => {
        hash.update(b);
        bytes += b.length;
      });
      response.on('end', resolve);
      response.on('error', reject);
      response.resume();
    });
    expect(bytes).toBeGreaterThan(BIG_MB * 1024 * 1024);
    expect(response.trailers['x-pilotfish-sha256']).toBe(hash.digest('hex'));
    const t0 = Date.now();
    await waitFor('directory collected after the stream ended', () => !existsSync(allocDir), { timeoutMs: 15_000 });
    console.log(`[figure] allocation directory kept ${BIG_MB} MiB stream open past its GC age; removed ${Date.now() - t0}ms after the stream ended`);
  });
});
