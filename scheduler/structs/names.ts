/**
 * Allocation names are `job.group[index]`, as in Nomad; the index is stable across replacements so
 * a replacement keeps the name (and the task environment's alloc index) of what it replaces.
 */

/** `allocName('cache', 'redis', 2)` → `cache.redis[2]`. */
export function allocName(jobId: string, group: string, index: number): string {
  // join() yields one flat string; a template literal this long is kept as a rope of cons strings
  return [jobId, '.', group, '[', index, ']'].join('');
}

/** The index of an allocation name, or -1 when the name has none. */
export function allocIndex(name: string): number {
  const open = name.lastIndexOf('[');
  if (open < 0 || !name.endsWith(']')) return -1;
  const index = Number(name.slice(open + 1, -1));
  return Number.isInteger(index) && index >= 0 ? index : -1;
}
