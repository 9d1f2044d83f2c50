import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPilotfishError } from '../../../../common/errors.js';
import { parseJobFile, parseJobspec } from '../../../../scheduler/jobspec/index.js';
import { repoRoot } from '../../../support/paths.js';

const dir = join(repoRoot, 'test/fixtures/jobs');

/** Expected field path (and a word of the message) for every malformed fixture. */
const BAD: Record<string, [path: string, message: RegExp]> = {
  'bad-syntax.hcl': ['line 3, column', /HCL syntax error/],
  'bad-syntax.json': ['line 1, column', /JSON syntax error/],
  'bad-syntax.yaml': ['line ', /YAML syntax error/],
  'bad-count-negative.hcl': ['job.neg.group.web.count', /negative/],
  'bad-count-string.json': ['job.str.group.web.count', /number/],
  'bad-memory-type.hcl': ['job.cache.group.redis.task.server.resources.memory', /number/],
  'bad-operator.hcl': ['job.op.group.web.constraint[0].operator', /unknown operator "~="/],
  'bad-operator.yaml': ['job.op.affinity[0].operator', /unknown operator "distinct_hosts"/],
  'bad-regexp.json': ['job.re.constraint[0].value', /regular expression/],
  'bad-version.hcl': ['job.ver.group.web.constraint[0].value', /semver constraint/],
  'bad-vault.hcl': ['job.secrets.group.web.task.t.vault', /not supported: Vault/],
  'bad-template.yaml': ['job.tmpl.group.web.task.t.template', /not supported: templates/],
  'bad-service-check.hcl': ['job.svc.group.web.service', /not supported: service registration/],
  'bad-artifact.json': ['job.art.group.web.task.t.artifact', /not supported: artifacts/],
  'bad-csi-volume.hcl': ['job.vol.group.web.volume.data.type', /only host volumes/],
  'bad-network.hcl': ['job.net.group.web.network', /not supported: network/],
  'bad-missing-driver.yaml': ['job.nodriver.group.web.task.t.driver', /required/],
  'bad-unknown-field.hcl': ['job.typo.group.web.cuont', /unknown field "cuont"/],
  'bad-delay-function.hcl': ['job.resched.group.web.reschedule.delay_function', /constant/],
  'bad-duration.json': ['job.dur.group.web.restart.interval', /not a duration/],
  'bad-spread-percent.yaml': ['job.spread.group.web.spread[0].target', /add up to 120/],
  'bad-affinity-weight.hcl': ['job.aff.group.web.affinity[0].weight', /100/],
  'bad-distinct-count.hcl': ['job.dp.group.web.constraint[0].value', /whole number/],
  'bad-job-type.json': ['job.sys.type', /system and sysbatch jobs are not supported/],
  'bad-no-group.hcl': ['job.empty.group', /group/],
  'bad-two-restart-blocks.hcl': ['job.twice.group.web.restart', /only once/],
  'bad-unknown-target.yaml': ['job.tgt.constraint[0].attribute', /unknown target/],
  'bad-volume-mount.hcl': ['job.vm.group.web.task.t.volume_mount[0].volume', /names no volume/],
  'bad-canary.hcl': ['job.canary.update.canary', /canary deployments are not supported/],
  'bad-per-alloc-type.hcl': ['job.pa.group.db.volume.data.per_alloc', /boolean/],
  'bad-per-alloc-indexed-source.hcl': ['job.pai.group.db.volume.data.source', /already ends in an index/],
  'bad-memory-too-small.json': ['job.small.group.web.task.t.resources.memory', /at least 10/],
};

async function rejection(file: string): Promise<{ path: string; message: string }[]> {
  try {
    await parseJobFile(join(dir, file));
  } catch (err) {
    expect(isPilotfishError(err, 'JOBSPEC_INVALID')).toBe(true);
    return (err as { details: { issues: { path: string; message: string }[] } }).details.issues;
  }
  throw new Error(`${file} was accepted`);
}

describe('jobspec', () => {
  it('Jobspec_fixtures_everyBadFileHasAnExpectation', () => {
    const files = readdirSync(dir).filter((f) => f.startsWith('bad-'));
    expect(files.length).toBeGreaterThanOrEqual(20);
    expect(files.sort()).toEqual(Object.keys(BAD).sort());
  });

  for (const [file, [path, message]] of Object.entries(BAD)) {
    it(`Jobspec_${file}_rejectedWithFieldPath`, async () => {
      const issues = await rejection(file);
      const hit = issues.find((i) => i.path.startsWith(path) && message.test(i.message));
      expect(hit, JSON.stringify(issues)).toBeDefined();
    });
  }

  it('Jobspec_goodFiles_hclJsonYamlGiveTheSameJob', async () => {
    const [hcl, json, yaml] = await Promise.all(['good-cache.hcl', 'good-cache.json', 'good-cache.yaml'].map((f) => parseJobFile(join(dir, f))));
    expect(json).toEqual(hcl);
    expect(yaml).toEqual(hcl);
    const group = hcl!.groups[0]!;
    expect(hcl).toMatchObject({ id: 'cache', type: 'service', priority: 70, datacenters: ['dc1', 'dc2'] });
    expect(hcl!.constraints).toEqual([
      { attribute: '${attr.kernel.name}', operator: '=', value: 'linux' },
      { attribute: '', operator: 'distinct_hosts', value: 'true' },
    ]);
    expect(group.spreads[0]!.targets).toEqual([{ value: 'dc1', percent: 70 }, { value: 'dc2', percent: 30 }]);
    expect(group.reschedule).toEqual({ attempts: 0, intervalMs: 0, delayMs: 10_000, delayFunction: 'fibonacci', maxDelayMs: 300_000, unlimited: true });
    expect(group.update).toMatchObject({ maxParallel: 2, minHealthyTimeMs: 5_000, healthyDeadlineMs: 300_000 });
    expect(group.ephemeralDisk).toEqual({ sizeMb: 500, sticky: true, migrate: true });
    expect(group.tasks[0]!.restart).toEqual({ attempts: 3, intervalMs: 1_800_000, delayMs: 10_000, mode: 'delay' });
    expect(group.tasks[0]!.volumeMounts).toEqual([{ volume: 'data', destination: '/data', readOnly: false }]);
  });

  it('Jobspec_perAllocVolume_parsedAndAbsentWhenFalse', async () => {
    const text = (perAlloc: string) =>
      `job "p" {\n group "db" {\n count = 2\n volume "d" {\n type = "host"\n source = "data"\n ${perAlloc}\n }\n task "t" {\n driver = "exec"\n }\n }\n}\n`;
    const on = await parseJobspec(text('per_alloc = true'), 'hcl');
    expect(on.groups[0]!.volumes['d']).toEqual({ type: 'host', source: 'data', readOnly: false, perAlloc: true });
    const off = await parseJobspec(text(''), 'hcl');
    expect(off.groups[0]!.volumes['d']).toEqual({ type: 'host', source: 'data', readOnly: false });
  });

  it('Jobspec_minimalServiceJob_takesNomadDefaults', async () => {
    const job = await parseJobspec('job "m" {\n group "g" {\n task "t" {\n driver = "exec"\n }\n }\n}\n', 'hcl');
    const g = job.groups[0]!;
    expect(job).toMatchObject({ namespace: 'default', type: 'service', priority: 50, datacenters: ['*'] });
    expect(g.count).toBe(1);
    expect(g.restart).toEqual({ attempts: 2, intervalMs: 1_800_000, delayMs: 15_000, mode: 'fail' });
    expect(g.reschedule).toEqual({ attempts: 0, intervalMs: 0, delayMs: 30_000, delayFunction: 'exponential', maxDelayMs: 3_600_000, unlimited: true });
    expect(g.ephemeralDisk).toEqual({ sizeMb: 300, sticky: false, migrate: false });
    expect(g.update).toBeNull();
    expect(g.tasks[0]!.resources).toEqual({ cpuMhz: 100, memoryMb: 300 });
  });

  it('Jobspec_minimalBatchJob_takesBatchDefaults', async () => {
    const job = await parseJobspec(JSON.stringify({ job: { b: { type: 'batch', group: { g: { task: { t: { driver: 'exec' } } } } } } }), 'json');
    expect(job.groups[0]!.restart).toEqual({ attempts: 3, intervalMs: 86_400_000, delayMs: 15_000, mode: 'fail' });
    expect(job.groups[0]!.reschedule).toEqual({ attempts: 1, intervalMs: 86_400_000, delayMs: 5_000, delayFunction: 'constant', maxDelayMs: 0, unlimited: false });
  });

  it('Jobspec_manyProblems_reportedTogether', async () => {
    const text = JSON.stringify({ job: { x: { priority: 500, group: { g: { count: -3, task: { t: { driver: 'exec', vault: {} } } } } } } });
    await expect(parseJobspec(text, 'json')).rejects.toThrow(/job\.x\.priority[\s\S]*job\.x\.group\.g\.count[\s\S]*job\.x\.group\.g\.task\.t\.vault/);
  });
});
