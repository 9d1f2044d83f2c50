import { PilotfishError } from '../common/errors.js';
import type { LeaderRecord, MemberRecord } from './coordinator.js';

/**
 * The coordination data model's key layout (DESIGN.md § Coordination data model), shared by every
 * adapter so that etcd, Consul and memory agree byte for byte on what lives where.
 */

export const LEADER_KEY = 'leader';
export const MEMBERS_PREFIX = 'members/';

/** `pilotfish/<cluster>/`: every key an adapter touches lives below it. */
export function clusterPrefix(cluster: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(cluster)) {
    throw new PilotfishError(
      'CONFIG_INVALID',
      `cluster name ${JSON.stringify(cluster)} is not usable in coordinator keys; use letters, digits, '.', '_' and '-'`,
    );
  }
  return `pilotfish/${cluster}/`;
}

/** Rejects keys that would escape the cluster prefix or be ambiguous in KV paths. */
export function checkKey(key: string): string {
  if (key === '' || key.startsWith('/') || key.split('/').some((part) => part === '..')) {
    throw new PilotfishError('INTERNAL', `coordinator key ${JSON.stringify(key)} must be relative and must not contain '..'`);
  }
  return key;
}

export function memberKey(name: string): string {
  return `${MEMBERS_PREFIX}${checkKey(name)}`;
}

function decode<T>(key: string, text: string, required: readonly string[]): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PilotfishError('COORDINATOR_PROTOCOL', `coordinator key ${key} does not hold JSON`, { cause: err });
  }
  if (parsed === null || typeof parsed !== 'object' || required.some((field) => !(field in parsed))) {
    throw new PilotfishError(
      'COORDINATOR_PROTOCOL',
      `coordinator key ${key} lacks one of the fields ${required.join(', ')}; was it written by another tool?`,
    );
  }
  return parsed as T;
}

export function decodeLeader(text: string): LeaderRecord {
  return decode<LeaderRecord>(LEADER_KEY, text, ['member', 'address', 'term']);
}

export function decodeMember(key: string, text: string): MemberRecord {
  return decode<MemberRecord>(key, text, ['name', 'address', 'role']);
}

/** Members sorted by name, the order `listMembers` promises. */
export function sortMembers(members: MemberRecord[]): MemberRecord[] {
  return members.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
