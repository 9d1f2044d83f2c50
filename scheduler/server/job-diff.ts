/**
 * A field-level diff between two job versions, for `job plan` and `job history`: one line per
 * changed leaf, with lists of named things (groups, tasks) keyed by name so a reorder is no change.
 */

/** One changed field: `groups[web].tasks[app].config.args`. */
export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
}

const IGNORED = new Set(['version', 'submitTimeMs']);

function keyed(list: unknown[]): Map<string, unknown> | undefined {
  const out = new Map<string, unknown>();
  for (const item of list) {
    if (!item || typeof item !== 'object' || typeof (item as { name?: unknown }).name !== 'string') return undefined;
    out.set((item as { name: string }).name, item);
  }
  return out;
}

function walk(path: string, before: unknown, after: unknown, out: FieldChange[]): void {
  if (JSON.stringify(before) === JSON.stringify(after)) return;
  if (Array.isArray(before) && Array.isArray(after)) {
    const left = keyed(before);
    const right = keyed(after);
    if (left && right) {
      for (const name of new Set([...left.keys(), ...right.keys()])) walk(`${path}[${name}]`, left.get(name), right.get(name), out);
      return;
    }
  }
  const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const a = before as Record<string, unknown>;
    const b = after as Record<string, unknown>;
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (path === '' && IGNORED.has(key)) continue;
      walk(path === '' ? key : `${path}.${key}`, a[key], b[key], out);
    }
    return;
  }
  out.push({ path: path || '(job)', before, after });
}

/** Changes from `before` to `after`; `before` undefined means a new job (one change: the job itself). */
export function diffJobs(before: unknown, after: unknown): FieldChange[] {
  if (before === undefined) return [{ path: '(job)', before: undefined, after: 'created' }];
  const out: FieldChange[] = [];
  walk('', before, after, out);
  return out;
}
