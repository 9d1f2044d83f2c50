/**
 * What a migrated archive may contain. The receiving side checks every entry against these rules
 * before a byte of it reaches `tar -x`, so nothing can be written outside the target directory:
 *
 * - entry names are relative, without `..` components (`./a/b` is fine, `../x`, `/etc/x` are not);
 * - only directories, regular files, symlinks and hard links (no devices, FIFOs, sparse or
 *   multi-volume entries, no pax headers: the sender writes GNU format);
 * - hard link targets follow the entry-name rules (they are names inside the archive);
 * - symlink targets are relative and descend only (no `..`, not absolute): resolved from any
 *   directory inside the target they stay inside, whatever other symlinks exist, so writing
 *   through them cannot escape either.
 */

/** The tar type flags the receiver accepts, by meaning. */
export const ENTRY_TYPES: Readonly<Record<string, 'file' | 'hardlink' | 'symlink' | 'dir' | 'longname' | 'longlink'>> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '5': 'dir',
  L: 'longname',
  K: 'longlink',
};

/** Why an entry was refused, or `null` when it is acceptable. */
export type RuleViolation = string | null;

/** Splits `name` into components without `.` and empty parts; `null` when it is unsafe. */
function components(name: string): string[] | null {
  if (name.includes('\0') || name.startsWith('/')) return null;
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.some((part) => part === '..')) return null;
  return parts;
}

/** Checks an entry name (a path inside the archive). */
export function checkEntryName(name: string): RuleViolation {
  if (name === '') return 'empty entry name';
  if (name.startsWith('/')) return `absolute path ${JSON.stringify(name)}`;
  if (components(name) === null) return `path ${JSON.stringify(name)} escapes the target directory`;
  return null;
}

/** Checks a hard link's target, which tar resolves relative to the extraction directory. */
export function checkHardlinkTarget(entry: string, target: string): RuleViolation {
  const violation = checkEntryName(target);
  if (violation !== null) return `hard link ${JSON.stringify(entry)}: ${violation}`;
  if ((components(target) ?? []).length === 0) return `hard link ${JSON.stringify(entry)} points at the root`;
  return null;
}

/** Checks a symlink's target, which the kernel resolves relative to the link's directory. */
export function checkSymlinkTarget(entry: string, target: string): RuleViolation {
  if (target === '') return `symlink ${JSON.stringify(entry)} has an empty target`;
  if (target.startsWith('/')) return `symlink ${JSON.stringify(entry)} points at absolute path ${JSON.stringify(target)}`;
  if (components(target) === null) {
    return `symlink ${JSON.stringify(entry)} points at ${JSON.stringify(target)}, which may leave the target directory`;
  }
  return null;
}
