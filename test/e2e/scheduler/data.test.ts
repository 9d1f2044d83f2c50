import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Allocation, Node } from '../../../scheduler/structs/index.js';
import { repoRoot } from '../../support/paths.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { type DataCluster, HEARTBEAT_GRACE_MS, HEARTBEAT_TTL_MS, startDataCluster } from './data-cluster.js';

/**
 * Data that follows its allocation, end to end: a server and four agents (racks r1, r1, r2, r2;
 * node-3 offers host volume "shared"), tasks that are real processes keeping a file in their data
 * directory. Figures are printed for the report.
 */

let dir: { path: string; remove(): void };
const DENIED_TOKEN = 'denied-token-0123456789';
const READER_TOKEN = 'reader-token-0123456789';
let cluster: DataCluster;
const fixture = join(repoRoot, 'test', 'fixtures', 'data-keeper.mjs');

function jobHcl(id: string, opts: { version: string; disk?: string; volume?: string; size?: number; args?: string[] }): string {
  return `job "${id}" {
  datacenters = ["dc1"]
  group "g" {
    count = 1
    restart {
      attempts = 0
      mode     = "fail"
    }
    ephemeral_disk {
      size = ${opts.size ?? 50}
      ${opts.disk ?? ''}
    }
    ${opts.volume ?? ''}
    task "main" {
      driver       = "exec"
      kill_timeout = "2s"
      config {
        command = "node"
        args    = ${JSON.stringify(opts.args ?? [fixture])}
      }
      env {
        VERSION = "${opts.version}"
        ${opts.volume ? 'VOLUME_PROBE = "PILOTFISH_VOLUME_SHARED"' : ''}
      }
      ${opts.volume ? 'volume_mount {\n        volume      = "shared"\n        destination = "/srv/shared"\n        read_only   = true\n      }' : ''}
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`;
}

async function run(id: string, hcl: string): Promise<void> {
  const file = join(dir.path, `${id}-${Date.now()}.hcl`);
  writeFileSync(file, hcl);
  const out = await cluster.cli('job', 'run', file);
  expect(out.exitCode, out.stderr).toBe(0);
}

async function runningAlloc(jobId: string, match: (a: Allocation) => boolean, what: string, timeoutMs = 30_000): Promise<Allocation> {
  return waitFor(what, async () => (await cluster.allocs(jobId)).find((a) => match(a) && a.clientStatus === 'running' && a.desiredStatus === 'run'), { timeoutMs });
}

async function report(alloc: Allocation): Promise<Record<string, unknown>> {
  return waitFor(`report of ${alloc.id}`, () => cluster.taskReports(alloc)[0]);
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const rackOf = (nodes: Node[], id: string) => nodes.find((n) => n.id === id)?.meta.rack;
const blobOf = async (alloc: Allocation) => join(cluster.agentDir(await cluster.agentOf(alloc.nodeId)), 'allocs', alloc.id, 'alloc', 'data', 'blob.bin');

beforeAll(async () => {
  dir = tempDir('pf-data-');
  const shared = join(dir.path, 'shared');
  mkdirSync(shared);
  writeFileSync(join(shared, 'seed.txt'), 'seed');
  writeFileSync(join(dir.path, 'denied.hcl'), 'namespace "default" { policy = "write" }\nhost_volume "*" { policy = "read" }\nhost_volume "shared" { policy = "deny" }\n');
  writeFileSync(join(dir.path, 'readers.hcl'), 'namespace "default" { policy = "write" }\nhost_volume "shar*" { policy = "read" }\n');
  const acl = [
    'acl:',
    '  policies:',
    `    denied: ${join(dir.path, 'denied.hcl')}`,
    `    readers: ${join(dir.path, 'readers.hcl')}`,
    '  tokens:',
    `    - { name: ci-denied, secret: ${DENIED_TOKEN}, policies: [denied] }`,
    `    - { name: ci-readers, secret: ${READER_TOKEN}, policies: [readers] }`,
    '',
  ].join('\n');
  cluster = await startDataCluster(dir.path, [{ rack: 'r1' }, { rack: 'r1' }, { rack: 'r2', hostVolumes: { shared: { path: shared } } }, { rack: 'r2' }], acl);
});

afterAll(async () => {
  await cluster?.teardown();
  dir?.remove();
});

describe('ephemeral disk and host volumes', () => {
  it('HostVolume_readOnlyMount_onlyOnNodesWithTheVolumeAndNotWritable', async () => {
    await run('vol', jobHcl('vol', { version: '0', volume: 'volume "shared" {\n      type   = "host"\n      source = "shared"\n    }' }));
    const alloc = await runningAlloc('vol', () => true, 'vol running');
    expect(alloc.nodeName).toBe('node-3');
    const out = await report(alloc);
    expect(out.volumeRead).toBe('seed');
    expect(out.volumeWrite).toBe('EROFS');
    expect(readFileSync(join(dir.path, 'shared', 'seed.txt'), 'utf8')).toBe('seed');
    expect((await cluster.cli('job', 'stop', 'vol')).exitCode).toBe(0);
  });

  it('Acl_jobSubmit_deniedVolumeRejectedNamingVolumeAndPolicy', async () => {
    const volume = 'volume "shared" {\n      type   = "host"\n      source = "shared"\n    }';
    const submit = (token: string, path = '/v1/jobs') =>
      cluster.api<{ error: string }>(path, { method: 'POST', token, body: { jobspec: jobHcl('vol', { version: '9', volume }), format: 'hcl', source: 'vol.hcl' } });
    const denied = await submit(DENIED_TOKEN);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatch(/host volume "shared" needs read \(mount-readonly\): host_volume "shared" of policy "denied" \(policy = "deny"\) denies it/);
    const rw = await cluster.api<{ error: string }>('/v1/jobs', {
      method: 'POST',
      token: READER_TOKEN,
      body: { jobspec: jobHcl('vol', { version: '9', volume }).replace('read_only   = true', 'read_only   = false'), format: 'hcl', source: 'vol.hcl' },
    });
    expect(rw.status).toBe(403);
    expect(rw.body.error).toMatch(/host volume "shared" needs write \(mount-readwrite\): host_volume "shar\*" of policy "readers"/);
    expect((await submit(READER_TOKEN, '/v1/job/vol/plan')).status).toBe(200);
    expect((await cluster.api('/v1/nodes', { token: READER_TOKEN })).status).toBe(403);
  });

  it('EphemeralDisk_writerPastHardLimit_allocationFailed', async () => {
    const writer = join(repoRoot, 'test', 'fixtures', 'disk-writer.mjs');
    await run('hog', jobHcl('hog', { version: '0', size: 10, args: [writer, '-', '256', '50'] }));
    const failed = await waitFor(
      'the disk hog failed',
      async () => (await cluster.allocs('hog')).find((a) => a.clientStatus === 'failed'),
      { timeoutMs: 30_000 },
    );
    const events = failed.taskStates.main?.events.map((e) => e.type) ?? [];
    expect(events).toContain('DiskOverSize');
    expect(events).toContain('DiskHardLimit');
    expect(failed.clientDescription).toMatch(/past the hard limit of 12\.0 MiB \(ephemeral_disk\.size = 10 MiB\)/);
    expect((await cluster.cli('job', 'stop', 'hog')).exitCode).toBe(0);
  });

  let first: Allocation;
  let updated: Allocation;
  let drained: Allocation;

  it('StickyDisk_destructiveUpdate_samNodeAndDataKept', async () => {
    await run('db', jobHcl('db', { version: '0', disk: 'sticky = true\n      migrate = true' }));
    first = await runningAlloc('db', () => true, 'db v0 running');
    expect((await report(first)).found).toBeNull();
    await run('db', jobHcl('db', { version: '1', disk: 'sticky = true\n      migrate = true' }));
    updated = await runningAlloc('db', (a) => a.previousAllocation === first.id, 'db v1 running');
    expect(updated.nodeId).toBe(first.nodeId);
    const out = await report(updated);
    expect(out).toMatchObject({ found: first.id, dataLost: null });
    expect(updated.taskStates.main?.events.some((e) => e.type === 'Migrated')).toBe(true);
  });

  it('MigrateDisk_drain_rackMateGetsByteIdenticalData', async () => {
    const nodes = await cluster.nodes();
    const oldBlob = await blobOf(updated);
    const digest = sha(oldBlob);
    const t0 = Date.now();
    const drain = await cluster.api(`/v1/node/${updated.nodeId}/drain`, { method: 'POST', body: { enable: true } });
    expect(drain.status).toBe(200);
    drained = await runningAlloc('db', (a) => a.previousAllocation === updated.id, 'db replacement after drain', 60_000);
    console.log(`[figure] drain to replacement running with migrated data: ${Date.now() - t0}ms`);
    expect(drained.nodeId).not.toBe(updated.nodeId);
    expect(rackOf(nodes, drained.nodeId)).toBe(rackOf(nodes, updated.nodeId));
    expect(await report(drained), JSON.stringify(drained.taskStates.main?.events)).toMatchObject({ found: first.id, dataLost: null });
    expect(sha(await blobOf(drained))).toBe(digest);
    const migrated = drained.taskStates.main?.events.find((e) => e.type === 'Migrated');
    expect(migrated?.message).toMatch(/pulled \d+ bytes/);
  });

  it('MigrationSnapshot_realAgent_refusesMissingAndInvalidTokens', async () => {
    const source = (await cluster.nodes()).find((n) => n.id === updated.nodeId) as Node;
    const url = `http://${source.httpAddress}/v1/migrate/${updated.id}/snapshot`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer pfm1.e30.AAAA', 'x-pilotfish-node': drained.nodeId } })).status).toBe(403);
    expect((await fetch(url, { headers: { authorization: `Bearer ${cluster.token}`, 'x-pilotfish-node': drained.nodeId } })).status).toBe(403);
  });

  it('MigrateDisk_agentKilled_replacementStartsWithDataLost', async () => {
    const victim = await cluster.agentOf(drained.nodeId);
    const t0 = Date.now();
    await cluster.killNode(victim);
    const next = await runningAlloc('db', (a) => a.previousAllocation === drained.id, 'replacement after the node died', 60_000);
    const elapsedMs = Date.now() - t0;
    console.log(`[figure] node SIGKILLed to replacement running with PILOTFISH_DATA_LOST: ${elapsedMs}ms (ttl ${HEARTBEAT_TTL_MS} + grace ${HEARTBEAT_GRACE_MS})`);
    expect(elapsedMs).toBeLessThan(HEARTBEAT_TTL_MS + HEARTBEAT_GRACE_MS + 15_000);
    expect(await report(next)).toMatchObject({ found: null, dataLost: '1' });
    const lost = next.taskStates.main?.events.find((e) => e.type === 'DataLost');
    expect(lost?.message).toMatch(/previous node .* is down/);
  });
});
