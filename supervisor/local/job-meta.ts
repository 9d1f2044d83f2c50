import { PilotfishError } from '../../common/errors.js';

/**
 * Sets job-level `meta` values in the text of an HCL job file, keeping everything else (comments,
 * layout) as written: each `key = "…"` line inside the file's first `meta { … }` block gets the new
 * value. `pilotfish up mysql --scheduler` uses this to point `compose/scheduler/mysql.hcl` at its
 * local cluster, so the file stays the single description of the job. Throws CONFIG_INVALID naming
 * the key when the block or a key is missing (the file and the caller disagree).
 */
export function setJobMeta(hcl: string, values: Readonly<Record<string, string>>): string {
  const start = /^\s*meta\s*\{\s*$/m.exec(hcl);
  if (!start) throw new PilotfishError('CONFIG_INVALID', 'job file: no `meta { … }` block to set values in; add one at job level');
  const bodyStart = start.index + start[0].length;
  const bodyEnd = hcl.indexOf('}', bodyStart);
  let body = hcl.slice(bodyStart, bodyEnd);
  for (const [key, value] of Object.entries(values)) {
    const line = new RegExp(`^([ \\t]*${key}[ \\t]*=[ \\t]*)"(?:[^"\\\\]|\\\\.)*"[ \\t]*$`, 'm');
    if (!line.test(body)) {
      throw new PilotfishError('CONFIG_INVALID', `job file: meta.${key} is missing; add \`${key} = "…"\` to the job's meta block`);
    }
    // JSON string escaping is valid HCL string escaping for the values used here (paths, ports).
    body = body.replace(line, (_, prefix: string) => `${prefix}${JSON.stringify(value).replace(/\$\{/g, '$${')}`);
  }
  return hcl.slice(0, bodyStart) + body + hcl.slice(bodyEnd);
}
