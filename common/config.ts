import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { formatDurationMs, parseDurationMs } from './duration.js';
import { PilotfishError } from './errors.js';
import { isSecretKey, REDACTED, redactSecrets } from './redact.js';

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
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).split('__').map(camelCase);
    if (!topLevelKeys.includes(path[0] as string)) continue;
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

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function dottedPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out || '(top level)';
}

function showValue(path: readonly PropertyKey[], value: unknown): string {
  if (value === undefined) return 'nothing';
  const last = path[path.length - 1];
  const primitive = value === null || typeof value !== 'object';
  if (primitive && typeof last === 'string' && isSecretKey(last)) return REDACTED;
  // A mapping is shown by its keys: its values may be secrets and are not what is wrong.
  if (!primitive && !Array.isArray(value)) return `a mapping with ${Object.keys(value as object).join(', ') || 'no keys'}`;
  const text = JSON.stringify(redactSecrets(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'mapping';
  return typeof value;
}

/** Plain words for zod's default messages; custom messages from the schemas pass through. */
function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  const names: Record<string, string> = { array: 'list', object: 'mapping' };
  if (issue.code === 'invalid_type') {
    const expected = names[issue.expected] ?? issue.expected;
    return value === undefined ? `is required (${article(expected)})` : `must be ${article(expected)}, not ${article(typeOf(value))}`;
  }
  if ((issue.code === 'too_small' || issue.code === 'too_big') && /^Too (small|big)/.test(issue.message)) {
    const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
    const word = issue.code === 'too_small' ? 'at least' : 'at most';
    if (issue.origin === 'string') return `must have ${word} ${bound} characters`;
    if (issue.origin === 'array') return `must have ${word} ${bound} entries`;
    return `must be ${word} ${bound}`;
  }
  if (issue.code === 'invalid_value' && /^Invalid (option|input)/.test(issue.message)) {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return issue.message;
}

/** The keys a strict object schema accepts at `path`, looking through optional/default/pipe wrappers. */
function knownKeys(schema: z.ZodType | undefined, path: readonly PropertyKey[]): string[] {
  let node: unknown = schema;
  const unwrap = () => {
    for (let guard = 0; guard < 10; guard++) {
      const def = (node as { _zod?: { def?: Record<string, unknown> } } | undefined)?._zod?.def;
      if (!def) return;
      if (def.innerType) node = def.innerType;
      else if (def.type === 'pipe') node = def.in;
      else return;
    }
  };
  for (const key of path) {
    unwrap();
    const def = (node as { _zod?: { def?: Record<string, unknown> } } | undefined)?._zod?.def;
    if (def?.type === 'object') node = (def.shape as Record<string, unknown>)[String(key)];
    else if (def?.type === 'array') node = def.element;
    else return [];
  }
  unwrap();
  const def = (node as { _zod?: { def?: Record<string, unknown> } } | undefined)?._zod?.def;
  return def?.type === 'object' ? Object.keys(def.shape as object) : [];
}

/** Levenshtein distance, for "did you mean" on misspelled keys. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}

function unknownKeyHint(key: string, known: readonly string[]): string {
  if (known.length === 0) return 'remove it or check its spelling';
  const close = known.find((k) => k.toLowerCase() === key.toLowerCase()) ?? known.find((k) => distance(k, key) <= 2);
  const allowed = `allowed here: ${known.join(', ')}`;
  return close ? `did you mean ${close}? (${allowed})` : `remove it or check its spelling (${allowed})`;
}

/** One line per problem: `coordinator.etcd.ttl: must be at least 2s (got "1s")`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], raw: unknown, schema?: z.ZodType): string[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const base = dottedPath(issue.path);
      const known = knownKeys(schema, issue.path);
      return issue.keys
        .map((key) => `${base === '(top level)' ? key : `${base}.${key}`}: unknown key; ${unknownKeyHint(key, known)}`)
        .join('\n');
    }
    const value = valueAt(raw, issue.path);
    return `${dottedPath(issue.path)}: ${describeIssue(issue, value)} (got ${showValue(issue.path, value)})`;
  });
}

/** Validates `raw` against `schema`; throws one CONFIG_INVALID error listing every problem. */
export function parseConfig<S extends z.ZodType>(schema: S, raw: unknown, source: string): Readonly<z.output<S>> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const lines = formatIssues(result.error.issues, raw, schema).flatMap((line) => line.split('\n'));
    const noun = lines.length === 1 ? 'problem' : 'problems';
    throw new PilotfishError('CONFIG_INVALID', `${source} has ${lines.length} ${noun}:\n  ${lines.join('\n  ')}`, {
      details: { problems: lines },
    });
  }
  return deepFreeze(result.data);
}
