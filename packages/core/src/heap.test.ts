import { describe, expect, it } from 'vitest';
import { Heap } from './heap.ts';
import { SeededRandom } from './testing/seeded-random.ts';

describe('Heap', () => {
  it('pops in order for random input', () => {
    const random = new SeededRandom(7);
    const heap = new Heap<number>((a, b) => a < b);
    const values = Array.from({ length: 2000 }, () => Math.floor(random.next() * 500));
    for (const v of values) heap.push(v);
    const out: number[] = [];
    while (heap.size > 0) out.push(heap.pop()!);
    expect(out).toEqual([...values].sort((a, b) => a - b));
  });

  it('lists the k smallest live entries without removing them', () => {
    const heap = new Heap<number>((a, b) => a < b);
    for (const v of [9, 3, 7, 1, 5, 8, 2, 6, 4]) heap.push(v);
    const dead = new Set([1, 4]);
    expect(heap.smallest(4, (v) => !dead.has(v))).toEqual([2, 3, 5, 6]);
    expect(heap.smallest(1, (v) => !dead.has(v))).toEqual([2]);
    expect(
      heap.smallest(
        10,
        () => true,
        (v) => v <= 5,
      ),
    ).toEqual([2, 3, 4, 5]);
    expect(heap.size).toBe(8); // only the dead top (1) was pruned
  });
});
