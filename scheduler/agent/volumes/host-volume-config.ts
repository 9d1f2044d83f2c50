import { existsSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { PilotfishError } from '../../../common/errors.js';
import type { HostVolume } from '../../structs/node.js';

/**
 * The agent's `host_volume "<name>" { path, read_only }` blocks: directories of this node offered to
 * jobs under a name. Accepts the HCL-converted shape (`{ name: [ { path, read_only } ] }`) and the
 * plain one (`{ name: { path, readOnly } }`). Each path must be an absolute, existing directory;
 * every problem is reported at once with its field path.
 */

/** A name, optionally with an index for jobs' `per_alloc` requests (`data[0]`, `data[1]`, …). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*(\[\d+\])?$/;

/** Validates and normalises the agent's host volumes; throws CONFIG_INVALID listing every problem. */
export function parseHostVolumes(raw: unknown, field = 'host_volume'): Record<string, HostVolume> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PilotfishError('CONFIG_INVALID', `${field}: expected blocks labelled with the volume name`);
  }
  const problems: string[] = [];
  const volumes: Record<string, HostVolume> = {};
  for (const [name, value] of Object.entries(raw)) {
    const at = `${field}.${name}`;
    const body: unknown = Array.isArray(value) ? value[0] : value;
    if (!NAME.test(name)) problems.push(`${at}: name must be letters, digits, '.', '_' or '-', optionally followed by an index such as [0] (per_alloc volumes)`);
    if (typeof body !== 'object' || body === null) {
      problems.push(`${at}: expected a block with path`);
      continue;
    }
    const { path, read_only: readOnlySnake, readOnly: readOnlyCamel, ...rest } = body as Record<string, unknown>;
    for (const key of Object.keys(rest)) problems.push(`${at}.${key}: unknown field (known: path, read_only)`);
    const readOnly = readOnlySnake ?? readOnlyCamel ?? false;
    if (typeof readOnly !== 'boolean') problems.push(`${at}.read_only: expected true or false, got ${JSON.stringify(readOnly)}`);
    if (typeof path !== 'string' || !isAbsolute(path)) {
      problems.push(`${at}.path: expected an absolute directory path, got ${JSON.stringify(path)}`);
      continue;
    }
    if (!existsSync(path) || !statSync(path).isDirectory()) {
      problems.push(`${at}.path: ${path} is not an existing directory; create it or fix the path`);
      continue;
    }
    volumes[name] = { path, readOnly: readOnly === true };
  }
  if (problems.length > 0) throw new PilotfishError('CONFIG_INVALID', `invalid host volumes:\n  ${problems.join('\n  ')}`);
  return volumes;
}
