import { describe, expect, it } from 'vitest';
import { Histogram, MetricsRecorder } from './metrics.ts';

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

describe('MetricsRecorder', () => {
  it('keeps per type the attempts jobs used and the chance each attempt succeeds', () => {
    const m = new MetricsRecorder();
    // 10 jobs: 6 succeed at once, 2 on the second attempt, 1 on the third, 1 fails after three.
    for (let i = 0; i < 6; i++) m.finished('send', 1, true);
    for (let i = 0; i < 2; i++) m.finished('send', 2, true);
    m.finished('send', 3, true);
    m.finished('send', 3, false);
    const send = m.snapshot(0, emptyCounts(), []).byType.send!;
    expect(send).toMatchObject({ succeeded: 9, failed: 1, successRatio: 0.9, attempts: [6, 2, 2] });
    // Attempt 1: 6 of 10; attempt 2: 2 of the 4 that reached it; attempt 3: 1 of 2.
    expect(send.successByAttempt).toEqual([0.6, 0.5, 0.5]);
  });
});

function emptyCounts() {
  const zero = [0, 0, 0, 0, 0];
  return { waiting: zero, scheduled: zero, ready: zero, running: zero, succeeded: zero, failed: zero, cancelled: zero };
}
