import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Allocation } from '../../../scheduler/structs/index.js';
import { repoRoot } from '../../support/paths.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { type DataCluster, startDataCluster } from './data-cluster.js';

/**
 * `per_alloc` host volumes with real processes: node-1 offers `data[0]`, node-2 offers `data[1]`
 * (each a different directory), and a job of two asks for `source = "data", per_alloc = true`.
 * Each allocation must land on the node holding its index and see that directory.
 */

let dir: { path: string; remove(): void };
let cluster: DataCluster;
const fixture = join(repoRoot, 'test', 'fixtures', 'data-keeper.mjs');

const JOB = `job "pa" {
  datacenters = ["dc1"]
  group "db" {
    count = 2
    volume "data" {
      type      = "host"
      source    = "data"
      per_alloc = true
    }
    task "main" {
      driver       = "exec"
      kill_timeout = "2s"
      config {
        command = "node"
        args    = ["${fixture}"]
      }
      env {
        VOLUME_PROBE = "PILOTFISH_VOLUME_DATA"
      }
      volume_mount {
        volume      = "data"
        destination = "/srv/data"
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
  dir = tempDir('pf-peralloc-');
  for (const i of [0, 1]) {
    mkdirSync(join(dir.path, `vol${i}`));
    writeFileSync(join(dir.path, `vol${i}`, 'seed.txt'), `volume ${i}`);
  }
  cluster = await startDataCluster(dir.path, [
    { rack: 'r1', hostVolumes: { 'data[0]': { path: join(dir.path, 'vol0') } } },
    { rack: 'r1', hostVolumes: { 'data[1]': { path: join(dir.path, 'vol1') } } },
  ]);
});

afterAll(async () => {
  await cluster?.teardown();
  dir?.remove();
});

describe('per_alloc host volumes', () => {
  it('PerAllocVolume_twoAgents_eachIndexRunsWhereItsVolumeIsAndSeesIt', async () => {
    writeFileSync(join(dir.path, 'pa.hcl'), JOB);
    const out = await cluster.cli('job', 'run', join(dir.path, 'pa.hcl'));
    expect(out.exitCode, out.stderr).toBe(0);
    const allocs = await waitFor('two running allocations', async () => {
      const list = (await cluster.allocs('pa')).filter((a) => a.clientStatus === 'running');
      return list.length === 2 ? list : undefined;
    });
    const nodes = await cluster.nodes();
    for (const alloc of allocs as Allocation[]) {
      const index = Number(/\[(\d+)\]$/.exec(alloc.name)![1]);
      expect(nodes.find((n) => n.id === alloc.nodeId)?.name).toBe(`node-${index + 1}`);
      const report = await waitFor(`report of ${alloc.name}`, () => cluster.taskReports(alloc)[0]);
      expect(report).toMatchObject({ volumeRead: `volume ${index}`, volumeWrite: 'ok' });
      expect(existsSync(join(dir.path, `vol${index}`, `written-by-${alloc.id}`))).toBe(true);
      expect(existsSync(join(dir.path, `vol${1 - index}`, `written-by-${alloc.id}`))).toBe(false);
    }
    const status = await cluster.cli('job', 'status', 'pa');
    expect(status.exitCode, status.stderr).toBe(0);
  });
});
