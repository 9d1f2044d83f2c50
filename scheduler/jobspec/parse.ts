import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { PilotfishError } from '../../common/errors.js';
import type { Job } from '../structs/index.js';
import { normalizeBlocks } from './blocks.js';
import type { BlockIssue } from './blocks.js';
import { fileSchema } from './schema-job.js';
import { toJob } from './to-job.js';
import { UNSUPPORTED } from './unsupported.js';

/**
 * Job files in three formats — Nomad-style HCL (through `@cdktf/hcl2json`, which runs in
 * WebAssembly and is therefore async), JSON and YAML — parsed into one raw shape, normalised,
 * validated with zod and turned into a {@link Job}. Every problem is reported at once, each with
 * its field path (`job.cache.group.redis.task.server.resources.memory: …`), in one
 * `JOBSPEC_INVALID` error whose `details.issues` lists them.
 */

/** Input formats. */
export type JobspecFormat = 'hcl' | 'json' | 'yaml';

/** One validation problem. */
export interface JobspecIssue {
  path: string;
  message: string;
}

function invalid(source: string, issues: JobspecIssue[]): PilotfishError {
  const lines = issues.map((i) => `  ${i.path || '(file)'}: ${i.message}`);
  return new PilotfishError('JOBSPEC_INVALID', `${source} is not a valid job:\n${lines.join('\n')}`, { details: { issues } });
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

function zodIssues(error: z.ZodError): JobspecIssue[] {
  const out: JobspecIssue[] = [];
  for (const issue of error.issues) {
    const base = pathOf(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = base === '' ? key : `${base}.${key}`;
        const why = UNSUPPORTED[key];
        out.push({ path, message: why ? `not supported: ${why}` : `unknown field ${JSON.stringify(key)}; check its spelling and where it is placed` });
      }
    } else {
      const input = (issue as { input?: unknown }).input;
      const shown = input === undefined || typeof input === 'object' ? '' : ` (got ${JSON.stringify(input).slice(0, 60)})`;
      out.push({ path: base, message: `${issue.message}${issue.message.includes('got ') ? '' : shown}` });
    }
  }
  return out;
}

async function parseHcl(source: string, text: string): Promise<unknown> {
  const { parse } = await import('@cdktf/hcl2json');
  try {
    return await parse(source, text);
  } catch (err) {
    const raw = String(err instanceof Error ? err.message : err);
    // hcl2json reports "parse config: [file:line,col-line,col: Summary; Detail.]"
    const m = /:(\d+),(\d+)(?:-\d+(?:,\d+)?)?: ([^\]]+)/.exec(raw);
    const message = m ? `HCL syntax error at line ${m[1]}, column ${m[2]}: ${m[3]!.trim()}` : `HCL syntax error: ${raw}`;
    throw invalid(source, [{ path: m ? `line ${m[1]}, column ${m[2]}` : '', message }]);
  }
}

function parseText(source: string, text: string, format: 'json' | 'yaml'): unknown {
  try {
    if (format === 'json') return JSON.parse(text) as unknown;
    return parseYaml(text) as unknown;
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const at = err.linePos?.[0];
      throw invalid(source, [{ path: at ? `line ${at.line}, column ${at.col}` : '', message: `YAML syntax error: ${err.message.split('\n')[0]}` }]);
    }
    const message = (err as Error).message;
    const pos = /position (\d+)/.exec(message);
    let where = '';
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      where = `line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}`;
    }
    throw invalid(source, [{ path: where, message: `JSON syntax error: ${message}` }]);
  }
}

function crossChecks(job: Job): JobspecIssue[] {
  const issues: JobspecIssue[] = [];
  for (const g of job.groups) {
    const gp = `job.${job.id}.group.${g.name}`;
    for (const t of g.tasks) {
      t.volumeMounts.forEach((m, i) => {
        if (!g.volumes[m.volume]) issues.push({ path: `${gp}.task.${t.name}.volume_mount[${i}].volume`, message: `names no volume of group ${g.name}; declare volume "${m.volume}" { … } in the group` });
      });
    }
    const r = g.reschedule;
    if (r.delayFunction !== 'constant' && r.maxDelayMs > 0 && r.maxDelayMs < r.delayMs) {
      issues.push({ path: `${gp}.reschedule.max_delay`, message: `must be at least delay (${r.delayMs}ms)` });
    }
    if (!r.unlimited && r.attempts > 0 && r.intervalMs <= 0) {
      issues.push({ path: `${gp}.reschedule.interval`, message: 'must be set when attempts are limited (unlimited = false)' });
    }
  }
  return issues;
}

/** Parses and validates job text. Throws `JOBSPEC_INVALID` listing every problem with its path. */
export async function parseJobspec(text: string, format: JobspecFormat, source = `job.${format}`): Promise<Job> {
  const raw = format === 'hcl' ? await parseHcl(source, text) : parseText(source, text, format);
  const blockIssues: BlockIssue[] = [];
  const canonical = normalizeBlocks(raw, blockIssues);
  if (blockIssues.length > 0) throw invalid(source, blockIssues);
  const parsed = fileSchema.safeParse(canonical, { reportInput: true });
  if (!parsed.success) throw invalid(source, zodIssues(parsed.error));
  const [id, rawJob] = Object.entries(parsed.data.job)[0]!;
  const job = toJob(id, rawJob);
  const issues = crossChecks(job);
  if (issues.length > 0) throw invalid(source, issues);
  return job;
}

/** The format of a job file by its extension (`.hcl`/`.nomad`, `.json`, `.yaml`/`.yml`). */
export function formatOf(path: string): JobspecFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return 'hcl';
}

/** Reads and parses a job file, choosing the format by extension. */
export async function parseJobFile(path: string): Promise<Job> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PilotfishError('JOBSPEC_INVALID', `cannot read job file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseJobspec(text, formatOf(path), path);
}
