import type { Command } from 'commander';
import { delay } from '../../common/retry.js';
import { readJobFile } from '../../scheduler/api/job-file.js';
import { parseJobspec } from '../../scheduler/jobspec/index.js';
import type { Allocation, Evaluation, Job } from '../../scheduler/structs/index.js';
import { apiClient, type ApiOptions, printJson, printTable, short, when, withApiOptions } from './scheduler-cli.js';

interface RegisterResult {
  jobId: string;
  version: number;
  evalId: string;
  changed: boolean;
}

interface PlanOutput {
  desiredTgUpdates: Record<string, Record<string, number>>;
  place: { name: string; node: string }[];
  stop: { id: string; name: string; node: string; desired: string; description: string }[];
  inPlace: { id: string; name: string; node: string }[];
  totals: { place: number; stop: number; inPlace: number };
  failedTgAllocs: Record<string, unknown>;
  currentVersion: number | null;
  changed: boolean;
  diff: { path: string; before: unknown; after: unknown }[];
}

const ns = (o: { namespace?: string }) => encodeURIComponent(o.namespace ?? 'default');

/** Waits (bounded) for an evaluation to finish, then prints what it placed. */
async function monitor(options: ApiOptions, evalId: string): Promise<void> {
  const client = apiClient(options);
  const deadline = Date.now() + 15_000;
  let evaluation: Evaluation | undefined;
  while (Date.now() < deadline) {
    evaluation = await client.get<Evaluation>(`/v1/evaluation/${evalId}`);
    if (evaluation.status !== 'pending') break;
    await delay(200);
  }
  if (!evaluation || evaluation.status === 'pending') {
    process.stdout.write(`Evaluation ${short(evalId)} is still pending; check with \`pilotfish job status\`\n`);
    return;
  }
  process.stdout.write(`Evaluation ${short(evalId)} ${evaluation.status}\n`);
  for (const [group, metrics] of Object.entries(evaluation.failedTgAllocs)) {
    process.stdout.write(`  group ${group}: placement failed: ${JSON.stringify(metrics)}\n`);
  }
}

/** `pilotfish job run|plan|status|stop|history|revert`. */
export function registerJobCommands(program: Command): void {
  const job = program.command('job').description('submit and inspect scheduler jobs');

  withApiOptions(job.command('run').description('register a job (HCL, JSON or YAML file) and schedule it'))
    .argument('<file>', 'job file')
    .option('--detach', 'return after registering, without waiting for the evaluation')
    .action(async (file: string, options: ApiOptions & { detach?: boolean }) => {
      const submission = await readJobFile(file);
      const out = await apiClient(options).post<RegisterResult>('/v1/jobs', submission);
      process.stdout.write(`Job ${out.jobId} registered at version ${out.version}${out.changed ? '' : ' (unchanged)'}; evaluation ${short(out.evalId)}\n`);
      if (!options.detach) await monitor(options, out.evalId);
    });

  withApiOptions(job.command('plan').description('show what running a job file would change, without changing anything'))
    .argument('<file>', 'job file')
    .option('--json', 'print the plan as JSON')
    .action(async (file: string, options: ApiOptions) => {
      const submission = await readJobFile(file);
      // Parsed here too, for the job id in the path; the server parses and validates again.
      const spec = await parseJobspec(submission.jobspec, submission.format, submission.source);
      const out = await apiClient(options).post<PlanOutput>(`/v1/job/${encodeURIComponent(spec.id)}/plan`, submission);
      if (options.json) printJson(out);
      else {
        process.stdout.write(out.currentVersion === null ? `+ Job: ${spec.id} (new)\n` : `${out.changed ? '+/-' : ''} Job: ${spec.id} (version ${out.currentVersion}${out.changed ? ' → new version' : ', unchanged'})\n`);
        for (const change of out.currentVersion === null ? [] : out.diff) {
          process.stdout.write(`  ~ ${change.path}: ${JSON.stringify(change.before)} => ${JSON.stringify(change.after)}\n`);
        }
        for (const [group, counts] of Object.entries(out.desiredTgUpdates)) {
          const parts = Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
          process.stdout.write(`  Task Group ${group}: ${parts.join(', ') || 'no changes'}\n`);
        }
        for (const p of out.place) process.stdout.write(`  + create ${p.name} on ${p.node}\n`);
        for (const s of out.stop) process.stdout.write(`  - ${s.desired} ${s.name} (${short(s.id)}) on ${s.node}: ${s.description}\n`);
        for (const u of out.inPlace) process.stdout.write(`  ~ update in place ${u.name} (${short(u.id)}) on ${u.node}\n`);
        for (const group of Object.keys(out.failedTgAllocs)) process.stdout.write(`  ! group ${group}: some placements would fail\n`);
        process.stdout.write('Nothing was changed; run `pilotfish job run` to apply.\n');
      }
      // Nomad's convention: exit 1 when allocations would be created or destroyed.
      if (out.totals.place > 0 || out.totals.stop > 0) process.exitCode = 1;
    });

  withApiOptions(job.command('status').description('list jobs, or show one job and its allocations'))
    .argument('[id]', 'job id')
    .option('--json', 'print JSON')
    .option('--namespace <ns>', 'namespace', 'default')
    .action(async (id: string | undefined, options: ApiOptions & { namespace?: string }) => {
      const client = apiClient(options);
      if (!id) {
        const jobs = await client.get<{ id: string; type: string; version: number; stop: boolean; summary: Record<string, Record<string, number>> }[]>('/v1/jobs');
        if (options.json) return printJson(jobs);
        printTable(['ID', 'TYPE', 'VERSION', 'STATUS'], jobs.map((j) => [j.id, j.type, j.version, j.stop ? 'dead (stopped)' : 'running']));
        return;
      }
      const out = await client.get<{ job: Job; summary: Record<string, Record<string, number>>; allocs: Allocation[] }>(`/v1/job/${encodeURIComponent(id)}?namespace=${ns(options)}`);
      if (options.json) return printJson(out);
      process.stdout.write(`ID        = ${out.job.id}\nType      = ${out.job.type}\nVersion   = ${out.job.version}\nStatus    = ${out.job.stop ? 'dead (stopped)' : 'running'}\n\nSummary\n`);
      for (const [group, counts] of Object.entries(out.summary)) process.stdout.write(`  ${group}: ${Object.entries(counts).map(([k, n]) => `${k}=${n}`).join(' ')}\n`);
      process.stdout.write('\nAllocations\n');
      printTable(
        ['ID', 'NAME', 'NODE', 'VERSION', 'DESIRED', 'STATUS', 'MODIFIED'],
        out.allocs.sort((a, b) => b.createTimeMs - a.createTimeMs).map((a) => [short(a.id), a.name, a.nodeName, a.jobVersion, a.desiredStatus, a.clientStatus, when(a.modifyTimeMs)]),
      );
    });

  withApiOptions(job.command('stop').description('stop every allocation of a job (the job and its versions are kept)'))
    .argument('<id>', 'job id')
    .option('--namespace <ns>', 'namespace', 'default')
    .action(async (id: string, options: ApiOptions & { namespace?: string }) => {
      const out = await apiClient(options).delete<RegisterResult>(`/v1/job/${encodeURIComponent(id)}?namespace=${ns(options)}`);
      process.stdout.write(`Job ${out.jobId} stopped at version ${out.version}; evaluation ${short(out.evalId)}\n`);
    });

  withApiOptions(job.command('history').description("list a job's versions and what changed in each"))
    .argument('<id>', 'job id')
    .option('--json', 'print JSON')
    .option('--namespace <ns>', 'namespace', 'default')
    .action(async (id: string, options: ApiOptions & { namespace?: string }) => {
      const versions = await apiClient(options).get<{ version: number; submitTimeMs: number; stop: boolean; diff: { path: string; before: unknown; after: unknown }[] }[]>(
        `/v1/job/${encodeURIComponent(id)}/versions?namespace=${ns(options)}`,
      );
      if (options.json) return printJson(versions);
      for (const v of [...versions].reverse()) {
        process.stdout.write(`Version ${v.version}  submitted ${when(v.submitTimeMs)}${v.stop ? '  (stop)' : ''}\n`);
        for (const d of v.diff) process.stdout.write(`  ~ ${d.path}: ${JSON.stringify(d.before)} => ${JSON.stringify(d.after)}\n`);
      }
    });

  withApiOptions(job.command('revert').description('register an earlier version of a job again as its newest version'))
    .argument('<id>', 'job id')
    .argument('<version>', 'version to restore')
    .option('--namespace <ns>', 'namespace', 'default')
    .action(async (id: string, version: string, options: ApiOptions & { namespace?: string }) => {
      const out = await apiClient(options).post<RegisterResult>(`/v1/job/${encodeURIComponent(id)}/revert?namespace=${ns(options)}`, { version: Number(version) });
      process.stdout.write(`Job ${out.jobId} reverted to version ${version} as version ${out.version}; evaluation ${short(out.evalId)}\n`);
    });
}
