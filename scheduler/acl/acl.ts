import { closestGlob } from './glob.js';
import type { AclToken, Disposition, HostVolumeCapability, NamespaceCapability, Policy, Rule } from './policy.js';

/**
 * The effective permissions of one token: its policies merged, then looked up per object.
 *
 * Merging (as in Nomad): rules with the same pattern from several policies are combined; their
 * capabilities add up, and a `deny` from any of them wins for that pattern. Lookup: the closest
 * matching pattern decides alone (see glob.ts), so `namespace "prod-db"` can grant what
 * `namespace "prod-*"` does not, and vice versa. No matching pattern means no capabilities.
 */

/** Why a lookup came out as it did, for error messages. */
export interface Decision<C extends string> {
  /** The pattern that decided, or `null` when no rule matched. */
  pattern: string | null;
  /** The policies that contributed a rule for that pattern, with what each stated. */
  sources: { policy: string; disposition: Disposition | null }[];
  /** Effective capabilities (empty when denied or unmatched). */
  capabilities: ReadonlySet<C>;
  denied: boolean;
}

interface Merged<C extends string> {
  capabilities: Set<C>;
  sources: { policy: string; disposition: Disposition | null }[];
}

function merge<C extends string>(policies: readonly Policy[], pick: (p: Policy) => Rule<C>[]): Map<string, Merged<C>> {
  const merged = new Map<string, Merged<C>>();
  for (const policy of policies) {
    for (const rule of pick(policy)) {
      const entry = merged.get(rule.pattern) ?? { capabilities: new Set<C>(), sources: [] };
      for (const capability of rule.capabilities) entry.capabilities.add(capability);
      entry.sources.push({ policy: policy.name, disposition: rule.policy });
      merged.set(rule.pattern, entry);
    }
  }
  return merged;
}

function decide<C extends string>(rules: Map<string, Merged<C>>, name: string): Decision<C> {
  const pattern = closestGlob(rules.keys(), name);
  const rule = pattern === undefined ? undefined : rules.get(pattern);
  if (pattern === undefined || rule === undefined) return { pattern: null, sources: [], capabilities: new Set(), denied: false };
  const denied = rule.capabilities.has('deny' as C);
  return { pattern, sources: rule.sources, capabilities: denied ? new Set() : rule.capabilities, denied };
}

/** A token's compiled permissions. */
export class Acl {
  private readonly namespaces: Map<string, Merged<NamespaceCapability>>;
  private readonly hostVolumes: Map<string, Merged<HostVolumeCapability>>;

  /**
   * `policies` are the documents the token names; names it carries that are not in `policies`
   * grant nothing (a deleted policy must not widen access).
   */
  constructor(
    readonly token: AclToken,
    policies: readonly Policy[],
  ) {
    const carried = policies.filter((policy) => token.policies.includes(policy.name));
    this.namespaces = merge(carried, (p) => p.namespaces);
    this.hostVolumes = merge(carried, (p) => p.hostVolumes);
  }

  get isManagement(): boolean {
    return this.token.type === 'management';
  }

  /** What the token may do in namespace `namespace`. */
  namespace(namespace: string): Decision<NamespaceCapability> {
    return decide(this.namespaces, namespace);
  }

  /** What the token may do with host volume `name`. */
  hostVolume(name: string): Decision<HostVolumeCapability> {
    return decide(this.hostVolumes, name);
  }

  allowNamespace(namespace: string, capability: NamespaceCapability): boolean {
    return this.isManagement || this.namespace(namespace).capabilities.has(capability);
  }

  allowHostVolume(name: string, capability: HostVolumeCapability): boolean {
    return this.isManagement || this.hostVolume(name).capabilities.has(capability);
  }
}
