/**
 * Version comparison for the `version` and `semver` constraint operators.
 *
 * `version` follows hashicorp/go-version: segments are padded (`1.2` = `1.2.0`), a leading `v` is
 * allowed, terms are comma-separated (`>= 1.2, < 2.0`), `~>` is the pessimistic operator, and a
 * prerelease version only satisfies terms that themselves name a prerelease. `semver` follows
 * Semantic Versioning 2.0 ordering (prereleases sort before the release) and has no `~>`.
 */

interface Version {
  segments: number[];
  prerelease: string;
}

const VERSION_RE = /^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const TERM_RE = /^(=|!=|>=|<=|>|<|~>)?\s*(\S+)$/;

function parseVersion(text: string): Version | undefined {
  const m = VERSION_RE.exec(text.trim());
  if (!m) return undefined;
  const segments = m[1]!.split('.').map(Number);
  while (segments.length < 3) segments.push(0);
  return { segments, prerelease: m[2] ?? '' };
}

function comparePrerelease(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Number(x) < Number(y) ? -1 : 1;
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < Math.max(a.segments.length, b.segments.length); i++) {
    const x = a.segments[i] ?? 0;
    const y = b.segments[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return comparePrerelease(a.prerelease, b.prerelease);
}

function termHolds(op: string, v: Version, want: Version, specifiedSegments: number): boolean {
  const c = compare(v, want);
  switch (op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '~>': {
      if (c < 0) return false;
      // all but the last specified segment must match exactly
      const fixed = Math.max(1, specifiedSegments - 1);
      for (let i = 0; i < fixed; i++) if ((v.segments[i] ?? 0) !== (want.segments[i] ?? 0)) return false;
      return true;
    }
  }
  return false;
}

/**
 * True when `versionText` satisfies every comma-separated term of `constraintText`.
 * An unparsable version or constraint never matches (the node is simply infeasible).
 */
export function versionMatches(versionText: string, constraintText: string, flavour: 'version' | 'semver'): boolean {
  const v = parseVersion(versionText);
  if (!v) return false;
  const terms = constraintText.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
  if (terms.length === 0) return false;
  let anyPrereleaseTerm = false;
  for (const term of terms) {
    const m = TERM_RE.exec(term);
    if (!m) return false;
    const op = m[1] ?? '=';
    if (flavour === 'semver' && op === '~>') return false;
    const want = parseVersion(m[2]!);
    if (!want) return false;
    if (want.prerelease !== '') anyPrereleaseTerm = true;
    const specified = m[2]!.replace(/^v/, '').split(/[-+]/)[0]!.split('.').length;
    if (!termHolds(op, v, want, specified)) return false;
  }
  // go-version: a prerelease only satisfies constraints that mention a prerelease
  return !(flavour === 'version' && v.prerelease !== '' && !anyPrereleaseTerm);
}

/** True when `constraintText` is syntactically a valid constraint for the flavour (used by the jobspec). */
export function isValidVersionConstraint(constraintText: string, flavour: 'version' | 'semver'): boolean {
  const terms = constraintText.split(',').map((t) => t.trim());
  if (terms.length === 0) return false;
  return terms.every((term) => {
    const m = TERM_RE.exec(term);
    if (!m) return false;
    if (flavour === 'semver' && m[1] === '~>') return false;
    return parseVersion(m[2]!) !== undefined;
  });
}
