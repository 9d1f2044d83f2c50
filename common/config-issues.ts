import type { z } from 'zod';
import { isSecretKey, REDACTED, redactSecrets } from './redact.js';

/**
 * Turns zod issues into one readable line each: the dotted path, what is wrong in plain words,
 * and the offending value (secrets redacted, mappings shown by their keys), plus where an
 * environment override set it and, for unknown keys, the allowed keys and a likely spelling.
 */

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
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  schema?: z.ZodType,
  sources: ReadonlyMap<string, string> = new Map(),
): string[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const base = dottedPath(issue.path);
      const known = knownKeys(schema, issue.path);
      return issue.keys
        .map((key) => `${base === '(top level)' ? key : `${base}.${key}`}: unknown key; ${unknownKeyHint(key, known)}`)
        .join('\n');
    }
    const value = valueAt(raw, issue.path);
    const line = `${dottedPath(issue.path)}: ${describeIssue(issue, value)} (got ${showValue(issue.path, value)})`;
    const from = overrideSource(issue.path, sources);
    return from ? `${line} [set by ${from}]` : line;
  });
}

/** The environment variable that set `path` or one of its parents, if any. */
function overrideSource(path: readonly PropertyKey[], sources: ReadonlyMap<string, string>): string | undefined {
  for (let length = path.length; length > 0; length--) {
    const from = sources.get(dottedPath(path.slice(0, length)));
    if (from) return from;
  }
  return undefined;
}

export { dottedPath };
