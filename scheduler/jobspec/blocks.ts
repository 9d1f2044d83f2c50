/**
 * The block structure of a job file, shared by every input format. HCL (through hcl2json) turns
 * every block into an array and every labelled block into an object keyed by label; JSON and YAML
 * authors may write a block that appears once as a plain object. {@link normalizeBlocks} brings
 * all three to one canonical shape: `single` blocks are objects, `list` blocks arrays, `labelled`
 * blocks objects keyed by label — so validation errors carry paths such as
 * `job.cache.group.redis.task.server.resources.memory` whatever the format.
 */

/** How a block may appear under its parent. */
export type BlockKind = 'single' | 'list' | 'labelled';

/** A node of the block tree: its kind and the blocks it may contain. */
export interface BlockSpec {
  kind: BlockKind;
  children?: Record<string, BlockSpec>;
}

const single = (children?: Record<string, BlockSpec>): BlockSpec => ({ kind: 'single', ...(children ? { children } : {}) });
const list = (children?: Record<string, BlockSpec>): BlockSpec => ({ kind: 'list', ...(children ? { children } : {}) });
const labelled = (children?: Record<string, BlockSpec>): BlockSpec => ({ kind: 'labelled', ...(children ? { children } : {}) });

const placement = {
  constraint: list(),
  affinity: list(),
};
const spread = list({ target: labelled() });

const task = labelled({
  ...placement,
  config: single(),
  env: single(),
  meta: single(),
  resources: single(),
  restart: single(),
  volume_mount: list(),
});

const group = labelled({
  ...placement,
  spread,
  restart: single(),
  reschedule: single(),
  update: single(),
  ephemeral_disk: single(),
  volume: labelled(),
  meta: single(),
  task,
});

/** The whole tree, rooted at the file. */
export const JOB_FILE: BlockSpec = single({
  job: labelled({
    ...placement,
    spread,
    update: single(),
    reschedule: single(),
    meta: single(),
    group,
  }),
});

/** A problem found while normalising, with its dotted path. */
export interface BlockIssue {
  path: string;
  message: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function normalizeNode(value: unknown, spec: BlockSpec, path: string, issues: BlockIssue[]): unknown {
  if (spec.kind === 'list') {
    const items = Array.isArray(value) ? value : [value];
    return items.map((item, i) => normalizeBody(item, spec, `${path}[${i}]`, issues));
  }
  if (spec.kind === 'labelled') {
    if (!isPlainObject(value)) {
      issues.push({ path, message: 'must be blocks with a label, e.g. `group "web" { … }` (in JSON/YAML: an object keyed by name)' });
      return value;
    }
    const out: Record<string, unknown> = {};
    for (const [label, body] of Object.entries(value)) {
      out[label] = normalizeNode(body, { ...spec, kind: 'single' }, `${path}.${label}`, issues);
    }
    return out;
  }
  if (Array.isArray(value)) {
    if (value.length !== 1) {
      issues.push({ path, message: `may appear only once, found ${value.length}` });
      return value;
    }
    return normalizeBody(value[0], spec, path, issues);
  }
  return normalizeBody(value, spec, path, issues);
}

function normalizeBody(value: unknown, spec: BlockSpec, path: string, issues: BlockIssue[]): unknown {
  if (!spec.children || !isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const child = spec.children[key];
    out[key] = child ? normalizeNode(inner, child, path === '' ? key : `${path}.${key}`, issues) : inner;
  }
  return out;
}

/** Brings a parsed file (any format) into the canonical block shape; problems go to `issues`. */
export function normalizeBlocks(raw: unknown, issues: BlockIssue[]): unknown {
  return normalizeBody(raw, JOB_FILE, '', issues);
}
