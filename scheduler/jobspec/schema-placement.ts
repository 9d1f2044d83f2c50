import { z } from 'zod';
import type { Affinity, AffinityOperator, Constraint, ConstraintOperator, Spread } from '../structs/index.js';
import { CONSTRAINT_OPERATORS, isKnownTarget } from '../structs/index.js';
import { isValidVersionConstraint } from '../scheduling/version.js';

/**
 * Schemas of the placement blocks: `constraint`, `affinity`, `spread`. Operators are normalised
 * (`==`/`is` → `=`, `not` → `!=`, `set_contains_all` → `set_contains`) and checked: an unknown
 * operator, an invalid regular expression or version constraint, an unknown `${…}` target or a
 * bad `distinct_property` count is an error on that field.
 */

const ALIASES: Record<string, ConstraintOperator> = { '==': '=', is: '=', not: '!=', set_contains_all: 'set_contains' };
const NO_VALUE = new Set<ConstraintOperator>(['is_set', 'is_not_set', 'distinct_hosts']);
const scalar = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

function checkOperatorAndValue(op: ConstraintOperator, value: string, ctx: z.RefinementCtx): void {
  if (op === 'regexp') {
    try {
      new RegExp(value);
    } catch {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `is not a valid regular expression: ${JSON.stringify(value)}` });
    }
  }
  if ((op === 'version' || op === 'semver') && !isValidVersionConstraint(value, op)) {
    ctx.addIssue({ code: 'custom', path: ['value'], message: `is not a valid ${op} constraint: ${JSON.stringify(value)} (write it like ">= 1.2, < 2.0")` });
  }
  if (op === 'distinct_property' && value !== '' && !(Number.isInteger(Number(value)) && Number(value) >= 1)) {
    ctx.addIssue({ code: 'custom', path: ['value'], message: `must be a whole number of allocations per value (1 or more), got ${JSON.stringify(value)}` });
  }
  if (!NO_VALUE.has(op) && op !== 'distinct_property' && value === '') {
    ctx.addIssue({ code: 'custom', path: ['value'], message: `is required by operator ${op}` });
  }
}

function operatorOf(raw: string | undefined, ctx: z.RefinementCtx, allowDistinct: boolean): ConstraintOperator | undefined {
  const op = raw === undefined ? '=' : (ALIASES[raw] ?? raw);
  const valid = (CONSTRAINT_OPERATORS as readonly string[]).includes(op) && (allowDistinct || !op.startsWith('distinct_'));
  if (!valid) {
    const list = CONSTRAINT_OPERATORS.filter((o) => allowDistinct || !o.startsWith('distinct_')).join(', ');
    ctx.addIssue({ code: 'custom', path: ['operator'], message: `unknown operator ${JSON.stringify(raw)}; use one of ${list}` });
    return undefined;
  }
  return op as ConstraintOperator;
}

function checkTarget(attribute: string, ctx: z.RefinementCtx): void {
  if (!isKnownTarget(attribute)) {
    ctx.addIssue({ code: 'custom', path: ['attribute'], message: `unknown target ${JSON.stringify(attribute)}; use \${attr.<name>}, \${meta.<name>}, \${node.unique.id}, \${node.unique.name}, \${node.datacenter} or \${node.class}` });
  }
}

/** `constraint { attribute, operator, value }`, plus Nomad's `distinct_hosts = true` / `distinct_property = "…"` shorthands. */
export const constraintSchema = z
  .strictObject({
    attribute: z.string().optional(),
    operator: z.string().optional(),
    value: scalar.optional(),
    distinct_hosts: z.boolean().optional(),
    distinct_property: z.string().optional(),
  })
  .transform((raw, ctx): Constraint => {
    if (raw.distinct_hosts !== undefined) return { attribute: '', operator: 'distinct_hosts', value: String(raw.distinct_hosts) };
    if (raw.distinct_property !== undefined) {
      checkOperatorAndValue('distinct_property', raw.value ?? '', ctx);
      return { attribute: raw.distinct_property, operator: 'distinct_property', value: raw.value ?? '' };
    }
    const op = operatorOf(raw.operator, ctx, true);
    const attribute = raw.attribute ?? '';
    if (op !== 'distinct_hosts' && attribute === '') ctx.addIssue({ code: 'custom', path: ['attribute'], message: 'is required' });
    else checkTarget(attribute, ctx);
    if (!op) return z.NEVER;
    checkOperatorAndValue(op, raw.value ?? '', ctx);
    return { attribute, operator: op, value: raw.value ?? '' };
  });

/** `affinity { attribute, operator, value, weight }`; weight in [-100, 100], not 0, default 50. */
export const affinitySchema = z
  .strictObject({
    attribute: z.string().min(1, 'is required'),
    operator: z.string().optional(),
    value: scalar.optional(),
    weight: z.number().int('must be a whole number').min(-100).max(100).refine((w) => w !== 0, 'must not be 0').default(50),
  })
  .transform((raw, ctx): Affinity => {
    checkTarget(raw.attribute, ctx);
    const op = operatorOf(raw.operator, ctx, false);
    if (!op) return z.NEVER;
    checkOperatorAndValue(op, raw.value ?? '', ctx);
    return { attribute: raw.attribute, operator: op as AffinityOperator, value: raw.value ?? '', weight: raw.weight };
  });

/** `spread { attribute, weight, target "<value>" { percent } }`; percentages sum to at most 100. */
export const spreadSchema = z
  .strictObject({
    attribute: z.string().min(1, 'is required'),
    weight: z.number().int('must be a whole number').min(0).max(100).default(50),
    target: z.record(z.string(), z.strictObject({ percent: z.number().int('must be a whole number').min(0).max(100) })).default({}),
  })
  .transform((raw, ctx): Spread => {
    checkTarget(raw.attribute, ctx);
    const targets = Object.entries(raw.target).map(([value, t]) => ({ value, percent: t.percent }));
    const sum = targets.reduce((s, t) => s + t.percent, 0);
    if (sum > 100) ctx.addIssue({ code: 'custom', path: ['target'], message: `percentages add up to ${sum}; they must not exceed 100` });
    return { attribute: raw.attribute, weight: raw.weight, targets };
  });
