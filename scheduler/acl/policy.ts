/**
 * ACL policy documents, modelled on Nomad's:
 *
 * ```hcl
 * namespace "default" { policy = "write" }
 * namespace "prod-*"  { policy = "read"  capabilities = ["submit-job"] }
 * host_volume "mysql-*" { policy = "write" }
 * host_volume "secrets" { policy = "deny" }
 * ```
 *
 * A rule's `policy` is shorthand for a set of capabilities; explicit `capabilities` add to it.
 * `deny` (as policy or capability) overrides everything else for that pattern.
 */

/** Coarse dispositions a rule may state. */
export type Disposition = 'read' | 'write' | 'deny';

/** Namespace capabilities (a subset of Nomad's that this scheduler uses). */
export const NAMESPACE_CAPABILITIES = ['deny', 'list-jobs', 'read-job', 'submit-job', 'read-logs', 'alloc-lifecycle'] as const;
export type NamespaceCapability = (typeof NAMESPACE_CAPABILITIES)[number];

/** Host volume capabilities, as in Nomad. */
export const HOST_VOLUME_CAPABILITIES = ['deny', 'mount-readonly', 'mount-readwrite'] as const;
export type HostVolumeCapability = (typeof HOST_VOLUME_CAPABILITIES)[number];

/** What each disposition expands to. */
export const NAMESPACE_EXPANSION: Record<Disposition, NamespaceCapability[]> = {
  deny: ['deny'],
  read: ['list-jobs', 'read-job'],
  write: ['list-jobs', 'read-job', 'submit-job', 'read-logs', 'alloc-lifecycle'],
};
export const HOST_VOLUME_EXPANSION: Record<Disposition, HostVolumeCapability[]> = {
  deny: ['deny'],
  read: ['mount-readonly'],
  write: ['mount-readonly', 'mount-readwrite'],
};

/** One `namespace "<glob>"` or `host_volume "<glob>"` block. */
export interface Rule<C extends string> {
  /** The block's label, a glob. */
  pattern: string;
  /** The stated disposition, if any (kept for messages). */
  policy: Disposition | null;
  /** Expanded capabilities: the disposition's plus the explicit ones. */
  capabilities: ReadonlySet<C>;
}

/** A named policy document. */
export interface Policy {
  name: string;
  namespaces: Rule<NamespaceCapability>[];
  hostVolumes: Rule<HostVolumeCapability>[];
}

/** An ACL token: a bearer secret mapped to policies (or management, which may do anything). */
export interface AclToken {
  /** Public identifier, safe to log. */
  accessorId: string;
  name: string;
  type: 'management' | 'client';
  /** Names of the policies this token carries. */
  policies: string[];
}
