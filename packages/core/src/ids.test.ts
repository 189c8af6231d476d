import { describe, expect, it } from 'vitest';
import { createIdGenerator } from './ids.ts';
import { SeededRandom } from './testing/seeded-random.ts';

describe('createIdGenerator', () => {
  it('makes 26-character ids that increase even when time stands still or steps back', () => {
    const next = createIdGenerator(new SeededRandom(1));
    const ids = [next(1000), next(1000), next(999), next(5000), next(5000)];
    expect(ids.every((id) => id.length === 26)).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('sorts ids of different generators by time', () => {
    const a = createIdGenerator(new SeededRandom(1));
    const b = createIdGenerator(new SeededRandom(2));
    expect(a(2000) > b(1999)).toBe(true);
    expect(b(3000) > a(2999)).toBe(true);
  });
});
