import { describe, expect, it } from 'vitest';
import { overtakeWindowMs, rankOf } from './priority.ts';

describe('priority with aging', () => {
  it('lets higher priority overtake only within its head start', () => {
    const step = 1000;
    const low = rankOf(10_000, 0, step);
    expect(rankOf(13_999, 4, step)).toBeLessThan(low); // within 4 steps: overtakes
    expect(rankOf(14_000, 4, step)).toBe(low); // at the bound: ties go to the older id
    expect(rankOf(14_001, 4, step)).toBeGreaterThan(low);
    expect(overtakeWindowMs(0, 4, step)).toBe(4000);
  });
});
