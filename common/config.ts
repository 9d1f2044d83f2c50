import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { formatDurationMs, parseDurationMs } from './duration.js';
import { PilotfishError } from './errors.js';
import { formatIssues } from './config-issues.js';

/**
 * Configuration mechanics shared by every component: read one YAML file, apply `PILOTFISH_*`
 * environment overrides, validate with a zod schema, report every problem at once with its dotted
 * path and the offending value, and hand back a frozen object whose durations are `…Ms` numbers.
 */

/** A duration field (`5s`, `500ms`, `1m`), converted to milliseconds, within optional bounds. */
export function durationMs(bounds: { minMs?: number; maxMs?: number; hint?: string } = {}) {
  const hint = bounds.hint ? ` (${bounds.hint})` : '';
  return z.union([z.string(), z.number()]).transform((input, ctx) => {
    if ((typeof input === 'number' && input < 0) || (typeof input === 'string' && input.trim().startsWith('-'))) {
      ctx.addIssue({ code: 'custom', message: 'must not be negative; write a duration like 500ms, 5s or 1m' });
      return z.NEVER;
    }
    const ms = parseDurationMs(input);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: 'is not a duration; write it like 500ms, 5s, 1m30s or 2h' });
      return z.NEVER;
    }
    if (bounds.minMs !== undefined && ms < bounds.minMs) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${formatDurationMs(bounds.minMs)}${hint}` });
      return z.NEVER;
    }
    if (bounds.maxMs !== undefined && ms > bounds.maxMs) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${formatDurationMs(bounds.maxMs)}${hint}` });
      return z.NEVER;
    }
    return ms;
  });
}

/** Deep-freezes a parsed configuration so no component can change what another one reads. */
export function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Reads a YAML configuration file into a plain object; a syntax error names the line and column. */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PilotfishError('CONFIG_INVALID', `cannot read config file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    const doc: unknown = parseYaml(text) ?? {};
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      throw new PilotfishError('CONFIG_INVALID', `config file ${path}: the top level must be a mapping of keys`);
    }
    return doc as Record<string, unknown>;
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const at = err.linePos?.[0];
      const where = at ? `line ${at.line}, column ${at.col}` : 'unknown position';
      // Only the parser's sentence, not its excerpt of the file: that line may hold a secret.
      const reason = err.message.split(/ at line \d+/)[0] ?? err.code;
      throw new PilotfishError('CONFIG_INVALID', `config file ${path} is not valid YAML at ${where}: ${reason} (${err.code})`, {
        cause: err,
      });
    }
    throw err;
  }
}

const ENV_PREFIX = 'PILOTFISH_';

function camelCase(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The override variables `applyEnvOverrides` takes, each with the key path it sets. */
function overrides(env: NodeJS.ProcessEnv, topLevelKeys: readonly string[]): Array<[string[], string, string]> {
  const out: Array<[string[], string, string]> = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).split('__').map(camelCase);
    if (topLevelKeys.includes(path[0] as string)) out.push([path, name, value]);
  }
  return out;
}

/** Which dotted config path each `PILOTFISH_*` override sets, so problems can name the variable. */
export function envOverrideSources(env: NodeJS.ProcessEnv, topLevelKeys: readonly string[]): Map<string, string> {
  return new Map(overrides(env, topLevelKeys).map(([path, name]) => [path.join('.'), name]));
}

/**
 * Applies `PILOTFISH_<SECTION>__<KEY>…=<value>` overrides: `__` separates levels, each level is
 * SNAKE_CASE for a camelCase key, and values are read as YAML scalars or flow collections
 * (`PILOTFISH_COORDINATOR__ETCD__ENDPOINTS=[http://10.0.0.1:2379]`). Only variables whose first
 * level names one of `topLevelKeys` are taken, so unrelated `PILOTFISH_*` variables pass through.
 */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  topLevelKeys: readonly string[],
): Record<string, unknown> {
  const out = structuredClone(raw);
  for (const [path, , value] of overrides(env, topLevelKeys)) {
    let node: Record<string, unknown> = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    let parsed: unknown = value;
    try {
      parsed = parseYaml(value);
    } catch {
      parsed = value;
    }
    node[path[path.length - 1] as string] = parsed;
  }
  return out;
}

/**
 * Validates `raw` against `schema`; throws one CONFIG_INVALID error listing every problem.
 * `sources` (from {@link envOverrideSources}) lets a problem name the variable that set it.
 */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  source: string,
  sources?: ReadonlyMap<string, string>,
): Readonly<z.output<S>> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const lines = formatIssues(result.error.issues, raw, schema, sources).flatMap((line) => line.split('\n'));
    const noun = lines.length === 1 ? 'problem' : 'problems';
    throw new PilotfishError('CONFIG_INVALID', `${source} has ${lines.length} ${noun}:\n  ${lines.join('\n  ')}`, {
      details: { problems: lines },
    });
  }
  return deepFreeze(result.data);
}

export { formatIssues };
