import { parse as parseHcl } from '@cdktf/hcl2json';
import { parse as parseYaml } from 'yaml';
import { PilotfishError } from '../../common/errors.js';
import {
  type Disposition,
  HOST_VOLUME_CAPABILITIES,
  HOST_VOLUME_EXPANSION,
  type HostVolumeCapability,
  NAMESPACE_CAPABILITIES,
  NAMESPACE_EXPANSION,
  type NamespaceCapability,
  type Policy,
  type Rule,
} from './policy.js';

/**
 * Parses a policy document written in HCL (as for Nomad), JSON or YAML. JSON/YAML use the shape
 * HCL converts to: `{ "namespace": { "<glob>": { "policy": "read", "capabilities": [...] } } }`
 * (a one-element list per label is accepted too). Every problem is collected with its path and the
 * whole list thrown as one CONFIG_INVALID error.
 */

/** Source formats; `auto` picks by the file name's extension (default HCL). */
export type PolicyFormat = 'hcl' | 'json' | 'yaml' | 'auto';

const DISPOSITIONS: readonly Disposition[] = ['read', 'write', 'deny'];

function blocks(value: unknown): Record<string, Record<string, unknown>> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { '': { invalid: value } };
  const out: Record<string, Record<string, unknown>> = {};
  for (const [label, body] of Object.entries(value)) {
    const first: unknown = Array.isArray(body) ? body[0] : body;
    out[label] = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : {};
  }
  return out;
}

function rules<C extends string>(
  kind: 'namespace' | 'host_volume',
  raw: unknown,
  known: readonly C[],
  expansion: Record<Disposition, C[]>,
  problems: string[],
): Rule<C>[] {
  const out: Rule<C>[] = [];
  for (const [pattern, body] of Object.entries(blocks(raw))) {
    const path = `${kind}.${JSON.stringify(pattern)}`;
    if (pattern === '') {
      problems.push(`${kind}: expected blocks labelled with a name or glob`);
      continue;
    }
    const policy = body.policy;
    if (policy !== undefined && !DISPOSITIONS.includes(policy as Disposition)) {
      problems.push(`${path}.policy: ${JSON.stringify(policy)} is not one of read, write, deny`);
      continue;
    }
    const capabilities = new Set<C>(policy === undefined ? [] : expansion[policy as Disposition]);
    const extra = body.capabilities ?? [];
    if (!Array.isArray(extra)) problems.push(`${path}.capabilities: expected a list`);
    else {
      for (const capability of extra) {
        if (known.includes(capability as C)) capabilities.add(capability as C);
        else problems.push(`${path}.capabilities: unknown capability ${JSON.stringify(capability)}; known: ${known.join(', ')}`);
      }
    }
    if (policy === undefined && capabilities.size === 0) problems.push(`${path}: set policy or capabilities`);
    out.push({ pattern, policy: (policy as Disposition | undefined) ?? null, capabilities });
  }
  return out;
}

/** Converts an already-decoded document into a {@link Policy}. */
export function policyFromObject(name: string, doc: unknown): Policy {
  const problems: string[] = [];
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new PilotfishError('CONFIG_INVALID', `policy ${JSON.stringify(name)}: expected a document with namespace/host_volume blocks`);
  }
  const record = doc as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'namespace' && key !== 'host_volume') {
      problems.push(`${key}: unknown block; policies hold namespace and host_volume blocks`);
    }
  }
  const policy: Policy = {
    name,
    namespaces: rules<NamespaceCapability>('namespace', record.namespace, NAMESPACE_CAPABILITIES, NAMESPACE_EXPANSION, problems),
    hostVolumes: rules<HostVolumeCapability>('host_volume', record.host_volume, HOST_VOLUME_CAPABILITIES, HOST_VOLUME_EXPANSION, problems),
  };
  if (problems.length > 0) {
    throw new PilotfishError('CONFIG_INVALID', `policy ${JSON.stringify(name)} is invalid:\n  ${problems.join('\n  ')}`);
  }
  return policy;
}

/** Parses policy text; `fileName` names it in errors and picks the format when `format` is `auto`. */
export async function parsePolicy(name: string, text: string, fileName = `${name}.hcl`, format: PolicyFormat = 'auto'): Promise<Policy> {
  const chosen = format !== 'auto' ? format : /\.json$/i.test(fileName) ? 'json' : /\.ya?ml$/i.test(fileName) ? 'yaml' : 'hcl';
  let doc: unknown;
  try {
    doc = chosen === 'json' ? JSON.parse(text) : chosen === 'yaml' ? parseYaml(text) : await parseHcl(fileName, text);
  } catch (err) {
    throw new PilotfishError('CONFIG_INVALID', `policy ${JSON.stringify(name)} (${fileName}) is not valid ${chosen.toUpperCase()}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return policyFromObject(name, doc ?? {});
}
