import { describe, expect, it } from 'vitest';
import type { Constraint, ConstraintOperator } from '../../../../scheduler/structs/index.js';
import { checkOperator } from '../../../../scheduler/scheduling/index.js';
import { Harness, placedAllocs } from '../../../../scheduler/scheduling/testing/harness.js';
import { mockGroup, mockJob, mockNode } from '../../../../scheduler/scheduling/testing/mock.js';

/** Places a job of `count` with one constraint on nodes with the given attribute values; returns the chosen node ids. */
function placeWith(constraint: Constraint, values: (string | undefined)[], count = 1): string[] {
  const h = new Harness();
  values.forEach((v, i) => {
    const node = mockNode({ id: `n${i}` });
    if (v !== undefined) node.attributes = { ...node.attributes, probe: v };
    h.upsertNode(node);
  });
  const job = mockJob({ groups: [mockGroup({ count, constraints: [constraint] })] });
  h.upsertJob(job);
  return placedAllocs(h.process(h.evalFor(job), { nowMs: 0, seed: 1 })).map((a) => a.nodeId).sort();
}

const cases: [ConstraintOperator, string, (string | undefined)[], string[]][] = [
  ['=', 'b', ['a', 'b', undefined], ['n1']],
  ['!=', 'b', ['a', 'b', undefined], ['n0', 'n2']],
  ['<', '10', ['9', '10', '100'], ['n0']],
  ['<=', '10', ['9', '10', '100'], ['n0', 'n1']],
  ['>', '10', ['9', '10', '100'], ['n2']],
  ['>=', '10', ['9', '10', '100'], ['n1', 'n2']],
  ['regexp', '^ub.*2[24]', ['ubuntu-22.04', 'ubuntu-20.04', 'debian-12'], ['n0']],
  ['version', '>= 1.2, < 2.0', ['1.1.9', '1.4.2', '2.0.0'], ['n1']],
  ['semver', '>= 1.2.0-rc.1', ['1.2.0-beta.9', '1.2.0-rc.2', '1.1.0'], ['n1']],
  ['set_contains', 'a,c', ['a,b,c', 'a,b', 'c'], ['n0']],
  ['set_contains_any', 'x,c', ['a,b,c', 'a,b', 'x'], ['n0', 'n2']],
  ['is_set', '', ['anything', undefined, ''], ['n0', 'n2']],
  ['is_not_set', '', ['anything', undefined, ''], ['n1']],
];

describe('constraint operators', () => {
  for (const [op, value, nodes, expected] of cases) {
    it(`Constraint_${op}_placesOnlyOnMatchingNodes`, () => {
      expect(placeWith({ attribute: '${attr.probe}', operator: op, value }, nodes, expected.length)).toEqual(expected);
    });
  }

  it('Constraint_lexicalOrder_whenEitherSideIsNotNumeric', () => {
    expect(checkOperator('<', 'abc', 'abd')).toBe(true);
    expect(checkOperator('<', '9', '10')).toBe(true);
    expect(checkOperator('<', '9a', '10')).toBe(false);
  });

  it('Constraint_version_pessimisticOperatorAndPrereleases', () => {
    expect(checkOperator('version', '1.2.9', '~> 1.2')).toBe(true);
    expect(checkOperator('version', '2.0.0', '~> 1.2')).toBe(false);
    expect(checkOperator('version', '1.2.9', '~> 1.2.3')).toBe(true);
    expect(checkOperator('version', '1.3.0', '~> 1.2.3')).toBe(false);
    expect(checkOperator('version', '1.3.0-beta', '>= 1.2')).toBe(false);
    expect(checkOperator('version', 'v1.3', '= 1.3.0')).toBe(true);
    expect(checkOperator('semver', '1.3.0-beta', '>= 1.2.0')).toBe(true);
    expect(checkOperator('semver', '1.3.0', '~> 1.2')).toBe(false);
  });

  it('Constraint_regexp_invalidPatternNeverMatches', () => {
    expect(checkOperator('regexp', 'abc', '(')).toBe(false);
  });

  it('Constraint_nodeTargets_resolveNodeFields', () => {
    const h = new Harness();
    h.upsertNode(mockNode({ id: 'a', datacenter: 'east', nodeClass: 'big', meta: { rack: 'r1' } }));
    h.upsertNode(mockNode({ id: 'b', datacenter: 'west', nodeClass: 'small', meta: { rack: 'r2' } }));
    const job = mockJob({
      constraints: [
        { attribute: '${node.datacenter}', operator: '=', value: 'east' },
        { attribute: '${node.class}', operator: '=', value: 'big' },
        { attribute: '${meta.rack}', operator: '=', value: 'r1' },
        { attribute: '${node.unique.id}', operator: '!=', value: 'b' },
      ],
    });
    h.upsertJob(job);
    expect(placedAllocs(h.process(h.evalFor(job), { nowMs: 0, seed: 3 })).map((a) => a.nodeId)).toEqual(['a']);
  });

  it('Constraint_noFeasibleNode_reportsFailedGroupWithReason', () => {
    const h = new Harness();
    h.upsertNode(mockNode({ id: 'a' }));
    const job = mockJob({ constraints: [{ attribute: '${attr.kernel.name}', operator: '=', value: 'windows' }] });
    h.upsertJob(job);
    const plan = h.process(h.evalFor(job), { nowMs: 0, seed: 1 });
    expect(placedAllocs(plan)).toHaveLength(0);
    expect(plan.failedTgAllocs['web']?.constraintFiltered).toEqual({ 'constraint ${attr.kernel.name} = windows': 1 });
  });

  it('Feasibility_driversAndDatacenters_filterNodes', () => {
    const h = new Harness();
    h.upsertNode(mockNode({ id: 'nodriver', drivers: {} }));
    h.upsertNode(mockNode({ id: 'otherdc', datacenter: 'dc2' }));
    h.upsertNode(mockNode({ id: 'down', status: 'down' }));
    h.upsertNode(mockNode({ id: 'ok' }));
    const job = mockJob({ datacenters: ['dc1'], groups: [mockGroup({ count: 2 })] });
    h.upsertJob(job);
    const plan = h.process(h.evalFor(job), { nowMs: 0, seed: 1 });
    expect(placedAllocs(plan).map((a) => a.nodeId)).toEqual(['ok', 'ok']);
  });
});
