import { randomBytes } from 'node:crypto';

/**
 * Key layout in the object store: `<prefix>/<cluster>/backups/<id>/{data…, manifest.json}`.
 * Ids start with a UTC timestamp so that sorting keys sorts backups by age.
 */

export const MANIFEST_NAME = 'manifest.json';

/** `<prefix>/<cluster>/backups/`, with exactly one slash between parts and none leading. */
export function backupsPrefix(prefix: string, cluster: string): string {
  const parts = [...prefix.split('/'), cluster, 'backups'].filter((part) => part.length > 0);
  return `${parts.join('/')}/`;
}

export function backupKey(prefix: string, cluster: string, id: string, name: string): string {
  return `${backupsPrefix(prefix, cluster)}${id}/${name}`;
}

const ID_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;

/** A new id: `20261123T180512345Z-a1b2c3` (UTC, milliseconds, then random so two members never collide). */
export function newBackupId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '').replace(/(\d{6})(\d{3})Z$/, '$1$2Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function isBackupId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/** The time encoded in an id, or `null` when it is not one of ours. */
export function backupIdTime(id: string): Date | null {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-/.exec(id);
  if (!match) return null;
  const [, y, mo, d, h, mi, s, ms] = match;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
}

/** Splits a listed key into backup id and object name; `null` for keys outside the layout. */
export function parseBackupKey(base: string, key: string): { id: string; name: string } | null {
  if (!key.startsWith(base)) return null;
  const rest = key.slice(base.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  const id = rest.slice(0, slash);
  return isBackupId(id) ? { id, name: rest.slice(slash + 1) } : null;
}
