import { describe, expect, it } from 'vitest';
import { Histogram } from './metrics.ts';

describe('Histogram', () => {
  it('reports quantiles within 5 % of the exact value', () => {
    const h = new Histogram();
    for (let v = 1; v <= 10_000; v++) h.record(v);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = q * 10_000;
      expect(Math.abs(h.quantile(q)! - exact) / exact).toBeLessThan(0.05);
    }
    expect(h.summary().maxMs).toBe(10_000);
    expect(new Histogram().quantile(0.5)).toBeNull();
  });
});
