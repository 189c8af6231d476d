import { describe, expect, it } from 'vitest';
import { firstAfter, SortedIds } from './sorted-ids.ts';

describe('SortedIds', () => {
  it('reads in order, from any cursor either way, what was added nearly in order, with the dead dropped in time', () => {
    const ids = new SortedIds();
    const live = new Set<string>();
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    let n = 0;
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 40; i++) {
        // Mostly increasing, with some jitter back, and some ids entering again.
        const id = next() % 10 === 0 && live.size > 0 ? [...live][next() % live.size]! : `id-${String(n++ + (next() % 7)).padStart(6, '0')}`;
        live.add(id);
        ids.add(
          id,
          (x) => live.has(x),
          () => live.size,
        );
      }
      for (const id of [...live]) if (next() % 4 === 0) live.delete(id);
      const expected = [...live].sort();
      const isLive = (id: string) => live.has(id);
      const all = [...ids.from(undefined, false, isLive, live.size)];
      expect(all.filter(isLive)).toEqual(expected);
      expect(new Set(all).size).toBe(all.length); // once each
      expect([...ids.from(undefined, true, isLive, live.size)].filter(isLive)).toEqual([...expected].reverse());
      const cursor = expected[Math.floor(expected.length / 2)];
      if (cursor !== undefined) {
        expect([...ids.from(cursor, false, isLive, live.size)].filter(isLive)).toEqual(expected.filter((id) => id > cursor));
        expect([...ids.from(cursor, true, isLive, live.size)].filter(isLive)).toEqual(expected.filter((id) => id < cursor).reverse());
      }
      expect(all.length).toBeLessThanOrEqual(2 * live.size + 64 + 40 + 4_096);
    }
  });

  it('finds the first id after a given one', () => {
    const ids = ['a', 'b', 'b', 'd'];
    expect([firstAfter(ids, ''), firstAfter(ids, 'a'), firstAfter(ids, 'b'), firstAfter(ids, 'c'), firstAfter(ids, 'z')]).toEqual([0, 1, 3, 3, 4]);
  });

  it('stays bounded when nobody reads it', () => {
    const ids = new SortedIds();
    const live = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      const id = `id-${String(i).padStart(6, '0')}`;
      live.add(id);
      if (live.size > 100) live.delete(`id-${String(i - 100).padStart(6, '0')}`);
      ids.add(
        id,
        (x) => live.has(x),
        () => live.size,
      );
    }
    const held = (ids as unknown as { main: string[]; recent: string[] }).main.length + (ids as unknown as { recent: string[] }).recent.length;
    expect(held).toBeLessThan(10_000);
  });
});
