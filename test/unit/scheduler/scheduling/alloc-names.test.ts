import { describe, expect, it } from 'vitest';
import { AllocNames } from '../../../../scheduler/scheduling/alloc-names.js';
import { allocName } from '../../../../scheduler/structs/index.js';

describe('AllocNames', () => {
  it('AllocNames_name_spellsEveryIndexAsAllocName', () => {
    const names = new AllocNames('cache', 'redis');
    for (const index of [0, 1, 9, 10, 11, 99, 100, 999, 1000, 12_345, 999_999_999, 1e9, 2 ** 40]) {
      expect(names.name(index)).toBe(allocName('cache', 'redis', index));
    }
  });

  it('AllocNames_name_keepsNonAsciiAndLongNames', () => {
    for (const [job, group] of [
      ['jöb-ü', 'grüppe'],
      ['任务', '组'],
      ['x'.repeat(600), 'g'],
    ] as const) {
      const names = new AllocNames(job, group);
      expect(names.name(42)).toBe(allocName(job, group, 42));
    }
  });

  it('AllocNames_name_reusesItsBufferWithoutLeakingDigits', () => {
    const names = new AllocNames('j', 'g');
    expect(names.name(123_456)).toBe('j.g[123456]');
    expect(names.name(7)).toBe('j.g[7]');
  });
});
