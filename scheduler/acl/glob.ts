/**
 * Glob matching for ACL rules, as in Nomad: `*` matches any run of characters (including none),
 * every other character matches itself. Among several matching rules the closest one applies:
 * an exact name first, otherwise the glob whose wildcards absorb the fewest characters (Nomad's
 * `findClosestMatchingGlob`); ties go to the longer pattern, then to the lexically smaller one so
 * the outcome never depends on map order.
 */

function toRegExp(glob: string): RegExp {
  const escaped = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 's');
}

/** Whether `name` matches `glob`. */
export function globMatches(glob: string, name: string): boolean {
  return glob.includes('*') ? toRegExp(glob).test(name) : glob === name;
}

/** How many characters of `name` the wildcards of a matching `glob` absorb (0 for an exact match). */
function wildcardWidth(glob: string, name: string): number {
  return name.length - glob.replaceAll('*', '').length;
}

/** The closest of `globs` matching `name`, or `undefined` when none matches. */
export function closestGlob(globs: Iterable<string>, name: string): string | undefined {
  let best: string | undefined;
  let bestWidth = Infinity;
  for (const glob of globs) {
    if (!globMatches(glob, name)) continue;
    const width = glob === name ? -1 : wildcardWidth(glob, name);
    const better =
      width < bestWidth ||
      (width === bestWidth && best !== undefined && (glob.length > best.length || (glob.length === best.length && glob < best)));
    if (better) {
      best = glob;
      bestWidth = width;
    }
  }
  return best;
}
