import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Job, Node } from '../scheduler/structs/index.js';
import { Harness } from '../scheduler/scheduling/testing/harness.js';
import { mockGroup, mockJob, mockNode, mockTask } from '../scheduler/scheduling/testing/mock.js';

/**
 * Placement throughput of the pure scheduling core. A simulated cluster (racks of 50 nodes, four
 * datacenters, three machine sizes, 10% arm64 nodes) receives 1,000 service jobs of 1,000
 * allocations each; every job has a constraint, `distinct_property` on `${meta.rack}` with a count,
 * and a spread over datacenters. Each job is one evaluation through `schedule()` and its plan is
 * applied to the in-memory state before the next, all in one process.
 *
 * `node dist/bench/placement.js` runs 10,000 nodes then 5,000 nodes, each in its own child process
 * (so peak RSS is per run), and prints the 10,000-node line first and the 5,000-node line last.
 * `--nodes N [--jobs J] [--count C]` runs one size in this process; `DEBUG_SPREAD=1` prints each
 * targeted job's allocations per datacenter to stderr.
 */

const SIZES = [
  { cpuMhz: 16_000, memoryMb: 32_768 },
  { cpuMhz: 32_000, memoryMb: 65_536 },
  { cpuMhz: 48_000, memoryMb: 98_304 },
];
const DATACENTERS = ['dc1', 'dc2', 'dc3', 'dc4'];
const NODES_PER_RACK = 50;

function cluster(count: number): Node[] {
  const nodes: Node[] = [];
  for (let i = 0; i < count; i++) {
    const size = SIZES[i % SIZES.length]!;
    const rack = Math.floor(i / NODES_PER_RACK);
    const id = `n${String(i).padStart(6, '0')}`;
    const node = mockNode({
      id,
      name: id,
      datacenter: DATACENTERS[rack % DATACENTERS.length]!,
      nodeClass: i % 7 === 0 ? 'storage' : 'general',
      meta: { rack: `r${rack}` },
      resources: { ...size, diskMb: 500_000 },
    });
    if (i % 10 === 9) node.attributes = { ...node.attributes, 'cpu.arch': 'arm64' };
    nodes.push(node);
  }
  return nodes;
}

function job(j: number, count: number, racks: number): Job {
  const constraints = [
    { attribute: '${attr.cpu.arch}', operator: '=' as const, value: 'amd64' },
    { attribute: '${node.class}', operator: '!=' as const, value: 'storage' },
    { attribute: '${attr.kernel.name}', operator: 'regexp' as const, value: '^lin' },
  ];
  // twice the slots the job needs, so distinct_property binds but never makes a job infeasible
  const perRack = Math.ceil((count * 2) / racks);
  return mockJob({
    id: `job-${j}`,
    name: `job-${j}`,
    version: 0,
    groups: [
      mockGroup({
        name: 'app',
        count,
        constraints: [constraints[j % constraints.length]!, { attribute: '${meta.rack}', operator: 'distinct_property', value: String(perRack) }],
        spreads: [
          j % 2 === 0
            ? { attribute: '${node.datacenter}', weight: 50, targets: [] }
            : { attribute: '${node.datacenter}', weight: 50, targets: [{ value: 'dc1', percent: 40 }, { value: 'dc2', percent: 30 }, { value: 'dc3', percent: 20 }, { value: 'dc4', percent: 10 }] },
        ],
        ephemeralDisk: { sizeMb: 20, sticky: false, migrate: false },
        tasks: [mockTask({ name: 'app', resources: { cpuMhz: 50 + (j % 3) * 25, memoryMb: 64 + (j % 4) * 32 } })],
      }),
    ],
  });
}

/**
 * A fixed loop of 1e8 float operations, timed: it takes about 100 ms on a current x86 core, so it
 * tells how fast (or how contended) the machine that produced the figures was.
 */
function calibrationMs(): number {
  const started = process.hrtime.bigint();
  const a = new Float64Array(5000);
  let s = 0;
  for (let k = 0; k < 20_000; k++) for (let i = 0; i < 5000; i++) s += a[i]! * 1.0001 + i;
  if (s < 0) process.stderr.write('');
  return Math.round(Number(process.hrtime.bigint() - started) / 1e6);
}

/** Placement quality: worst deviation from the spread targets over the targeted jobs, in allocations. */
function quality(state: Harness, specs: Job[], count: number): string {
  let worst = 0;
  for (const spec of specs) {
    const targets = spec.groups[0]!.spreads[0]!.targets;
    if (targets.length === 0) continue;
    const byDc = new Map<string, number>();
    for (const a of state.allocsByJob('default', spec.id)) {
      const dc = state.node(a.nodeId)!.datacenter;
      byDc.set(dc, (byDc.get(dc) ?? 0) + 1);
    }
    for (const t of targets) worst = Math.max(worst, Math.abs((byDc.get(t.value) ?? 0) - (t.percent / 100) * count));
    if (process.env['DEBUG_SPREAD']) process.stderr.write(`${spec.id} ${JSON.stringify([...byDc])}\n`);
  }
  return `worst spread-target deviation ${worst.toFixed(1)} of ${count} allocations`;
}

interface Figures {
  nodes: number;
  placements: number;
  seconds: number;
  placements_per_s: number;
  peak_rss_mb: number;
}

function runOne(nodeCount: number, jobs: number, count: number): Figures {
  const state = new Harness({ recordPlans: false });
  for (const n of cluster(nodeCount)) state.upsertNode(n);
  const racks = Math.ceil(nodeCount / NODES_PER_RACK);
  const specs = Array.from({ length: jobs }, (_, j) => job(j, count, racks));
  let placements = 0;
  let failedGroups = 0;
  const cpuStart = process.cpuUsage();
  const started = process.hrtime.bigint();
  let applyNs = 0n;
  for (let j = 0; j < jobs; j++) {
    const spec = specs[j]!;
    state.upsertJob(spec);
    const plan = state.process(state.evalFor(spec), { nowMs: 1_700_000_000_000, seed: j + 1 }, false);
    const applyStart = process.hrtime.bigint();
    state.applyPlan(plan);
    applyNs += process.hrtime.bigint() - applyStart;
    for (const list of Object.values(plan.nodeAllocation)) placements += list.length;
    failedGroups += Object.keys(plan.failedTgAllocs).length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  process.stderr.write(
    `nodes=${nodeCount}: cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s (user+system, all threads incl. GC) over ` +
      `${seconds.toFixed(2)} s wall, of which applying plans to the in-memory state ${(Number(applyNs) / 1e9).toFixed(2)} s; ` +
      `${quality(state, specs, count)}; calibration loop ${calibrationMs()} ms\n`,
  );
  if (failedGroups > 0) process.stderr.write(`warning: ${failedGroups} groups had placements that found no node\n`);
  return {
    nodes: nodeCount,
    placements,
    seconds: Math.round(seconds * 1000) / 1000,
    placements_per_s: Math.round(placements / seconds),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

const nodes = arg('nodes');
if (nodes !== undefined) {
  console.log(JSON.stringify(runOne(nodes, arg('jobs') ?? 1000, arg('count') ?? 1000)));
} else {
  const self = fileURLToPath(import.meta.url);
  for (const size of [10_000, 5_000]) {
    const out = execFileSync(process.execPath, [...process.execArgv, self, '--nodes', String(size)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const last = out.trim().split('\n').pop()!;
    console.log(last);
  }
}
