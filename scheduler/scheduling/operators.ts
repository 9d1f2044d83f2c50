import type { ConstraintOperator } from '../structs/index.js';
import { versionMatches } from './version.js';

/**
 * Evaluates one constraint or affinity operator on a resolved left value (`undefined` when the node
 * lacks the attribute) and a right value, with Nomad's semantics: `=` needs both sides present,
 * `!=` holds when the attribute is missing, ordering compares numbers when both sides are numeric
 * and strings otherwise, `regexp` is an unanchored search, the set operators read comma lists.
 */

const regexCache = new Map<string, RegExp | null>();

function compiled(pattern: string): RegExp | null {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern);
    } catch {
      re = null;
    }
    if (regexCache.size > 10_000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

function order(op: '<' | '<=' | '>' | '>=', left: string, right: string): boolean {
  const l = Number(left);
  const r = Number(right);
  const numeric = left.trim() !== '' && right.trim() !== '' && Number.isFinite(l) && Number.isFinite(r);
  const c = numeric ? l - r : left < right ? -1 : left > right ? 1 : 0;
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

function setOf(text: string): Set<string> {
  return new Set(text.split(',').map((s) => s.trim()));
}

/** Evaluates `left op right`. `distinct_*` operators are not node-local and always return true here. */
export function checkOperator(op: ConstraintOperator, left: string | undefined, right: string): boolean {
  switch (op) {
    case '=':
      return left !== undefined && left === right;
    case '!=':
      return left !== right;
    case '<':
    case '<=':
    case '>':
    case '>=':
      return left !== undefined && order(op, left, right);
    case 'regexp': {
      if (left === undefined) return false;
      const re = compiled(right);
      return re !== null && re.test(left);
    }
    case 'version':
    case 'semver':
      return left !== undefined && versionMatches(left, right, op);
    case 'set_contains': {
      if (left === undefined) return false;
      const have = setOf(left);
      for (const want of setOf(right)) if (!have.has(want)) return false;
      return true;
    }
    case 'set_contains_any': {
      if (left === undefined) return false;
      const have = setOf(left);
      for (const want of setOf(right)) if (have.has(want)) return true;
      return false;
    }
    case 'is_set':
      return left !== undefined;
    case 'is_not_set':
      return left === undefined;
    case 'distinct_hosts':
    case 'distinct_property':
      return true;
  }
}
