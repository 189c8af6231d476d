import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, nextDelayMs, resolveBackoff, type Backoff } from './backoff.ts';
import { SeededRandom } from './testing/seeded-random.ts';

const fixed = { next: () => 0.5 };
const plain = (over: Partial<Backoff>): Backoff => ({ ...DEFAULT_BACKOFF, jitter: 'none', priorityScale: 0, ...over });
const at = (b: Backoff, failures: number, extra: { previousDelayMs?: number | null; priority?: number; stretch?: number } = {}) =>
  nextDelayMs(b, { failures, previousDelayMs: extra.previousDelayMs ?? null, priority: extra.priority ?? 4, stretch: extra.stretch ?? 1 }, fixed);

describe('backoff', () => {
  it('grows constant, linear and exponential delays, up to the cap', () => {
    expect([1, 2, 3].map((n) => at(plain({ kind: 'constant', delayMs: 500 }), n))).toEqual([500, 500, 500]);
    expect([1, 2, 3].map((n) => at(plain({ kind: 'linear', delayMs: 500 }), n))).toEqual([500, 1000, 1500]);
    expect([1, 2, 3, 4].map((n) => at(plain({ kind: 'exponential', delayMs: 100, factor: 3 }), n))).toEqual([100, 300, 900, 2700]);
    expect(at(plain({ delayMs: 1000, maxDelayMs: 5000 }), 30)).toBe(5000);
    expect(at(plain({ delayMs: 1000, maxDelayMs: 5000 }), 10_000)).toBe(5000);
  });

  it('applies full, equal and decorrelated jitter within their ranges', () => {
    const random = new SeededRandom(3);
    const sample = (b: Backoff, n: number, prev: number | null = null) =>
      Array.from({ length: 2000 }, () => nextDelayMs(b, { failures: n, previousDelayMs: prev, priority: 4 }, random));
    const full = sample(plain({ delayMs: 1000, jitter: 'full' }), 3);
    expect(Math.min(...full)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...full)).toBeLessThanOrEqual(4000);
    expect(full.reduce((a, b) => a + b, 0) / full.length).toBeGreaterThan(1800); // mean ≈ 2000
    expect(full.reduce((a, b) => a + b, 0) / full.length).toBeLessThan(2200);
    const equal = sample(plain({ delayMs: 1000, jitter: 'equal' }), 3);
    expect(Math.min(...equal)).toBeGreaterThanOrEqual(2000);
    expect(Math.max(...equal)).toBeLessThanOrEqual(4000);
    const decorrelated = sample(plain({ delayMs: 1000, jitter: 'decorrelated', maxDelayMs: 10_000 }), 5, 2500);
    expect(Math.min(...decorrelated)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...decorrelated)).toBeLessThanOrEqual(7500);
  });

  it('retries more important work sooner, and stretches with resource health', () => {
    const b = plain({ kind: 'constant', delayMs: 1000, priorityScale: 0.5 });
    expect(at(b, 1, { priority: 4 })).toBe(1000);
    expect(at(b, 1, { priority: 0 })).toBe(1500);
    expect(at(b, 1, { priority: 4, stretch: 2.5 })).toBe(2500);
  });

  it('refuses bad options naming the field', () => {
    expect(() => resolveBackoff('retry.backoff', { kind: 'quadratic' as never })).toThrow('`retry.backoff.kind`');
    expect(() => resolveBackoff('retry.backoff', { jitter: 'some' as never })).toThrow('`retry.backoff.jitter`');
    expect(() => resolveBackoff('retry.backoff', { delayMs: -1 })).toThrow('`retry.backoff.delayMs`');
    expect(() => resolveBackoff('retry.backoff', { delayMs: 10, maxDelayMs: 5 })).toThrow('`retry.backoff.maxDelayMs` (5) to be at least `delayMs` (10)');
    expect(resolveBackoff('b', { kind: 'constant' })).toEqual({ ...DEFAULT_BACKOFF, kind: 'constant' });
  });
});
