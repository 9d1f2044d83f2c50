import { describe, expect, it } from 'vitest';
import { comparePositions, mergeMariadbPositions } from '../../../../recipes/mysql/gtid.js';

describe('gtid', () => {
  it('comparePositions_mariadbLists_ordersByDomainSequence', () => {
    expect(comparePositions('0-1-10', '0-1-12')).toBe(-1);
    expect(comparePositions('0-2-12', '0-1-12')).toBe(0);
    expect(comparePositions('0-1-12,1-3-4', '0-1-12')).toBe(1);
    expect(comparePositions('0-1-13,1-3-4', '0-1-12,1-3-5')).toBeNull();
    expect(comparePositions('', '0-1-1')).toBe(-1);
  });

  it('comparePositions_mysqlGtidSets_ordersByTransactionCount', () => {
    const uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
    expect(comparePositions(`${uuid}:1-5`, `${uuid}:1-7`)).toBe(-1);
  });

  it('mergeMariadbPositions_takesLaterGtidPerDomain', () => {
    expect(mergeMariadbPositions('0-1-10', '0-2-12,1-1-3')).toBe('0-2-12,1-1-3');
    expect(mergeMariadbPositions('0-1-10,0-2-4', '')).toBe('0-1-10');
  });
});
