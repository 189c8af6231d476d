import { describe, expect, it } from 'vitest';
import {
  budgetAllows,
  budgetRecord,
  budgetShape,
  fullBucket,
  takeToken,
  throttleAllows,
  throttleRecord,
  throttleRejectProbability,
  throttleShape,
} from './budget.ts';
import { SeededRandom } from './testing/seeded-random.ts';
import { emptyWindow } from './window.ts';

describe('retry budget', () => {
  it('allows retries up to ratio × first attempts, or the floor if that is more, then says when to ask again', () => {
    const o = { ratio: 0.1, windowMs: 10_000, minRetries: 2 };
    let s = emptyWindow(budgetShape(o), 0);
    for (let i = 0; i < 50; i++) s = budgetRecord(o, s, 100, false);
    let allowed = 0;
    while (budgetAllows(o, s, 200, 'api').allow) {
      s = budgetRecord(o, s, 200, true);
      allowed++;
    }
    expect(allowed).toBe(5); // 0.1 × 50, more than the floor of 2
    expect(budgetAllows(o, s, 200, 'api')).toEqual({ allow: false, retryAtMs: 1000, reason: 'retry budget of api spent: 5 retries for 50 first attempts' });
    expect(budgetAllows(o, s, 20_000, 'api').allow).toBe(true); // the window moved on
    let quiet = emptyWindow(budgetShape(o), 0);
    for (let i = 0; i < 10; i++) quiet = budgetRecord(o, quiet, 100, false);
    quiet = budgetRecord(o, quiet, 100, true);
    expect(budgetAllows(o, quiet, 100, 'api').allow).toBe(true); // 0.1 × 10 = 1, the floor 2
    quiet = budgetRecord(o, quiet, 100, true);
    expect(budgetAllows(o, quiet, 100, 'api').allow).toBe(false);
  });
});

describe('adaptive throttling', () => {
  it('rejects with max(0, (requests − k·accepts)/(requests + 1))', () => {
    const o = { k: 2, windowMs: 60_000 };
    let s = emptyWindow(throttleShape(o), 0);
    for (let i = 0; i < 100; i++) s = throttleRecord(o, s, 10, 'request');
    for (let i = 0; i < 20; i++) s = throttleRecord(o, s, 10, 'accept');
    expect(throttleRejectProbability(o, s, 10)).toBeCloseTo(60 / 101, 10);
    const random = new SeededRandom(9);
    let refused = 0;
    for (let i = 0; i < 10_000; i++) if (!throttleAllows(o, s, 10, random, 'api').allow) refused++;
    expect(refused / 10_000).toBeGreaterThan(0.56);
    expect(refused / 10_000).toBeLessThan(0.63);
    for (let i = 0; i < 30; i++) s = throttleRecord(o, s, 10, 'accept');
    expect(throttleRejectProbability(o, s, 10)).toBe(0); // 100 ≤ 2 × 50
  });
});

describe('token bucket', () => {
  it('allows a burst, then one call per 1/perSecond', () => {
    const o = { perSecond: 10, burst: 3 };
    let s = fullBucket(o, 0);
    const results: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const t = takeToken(o, s, 0, 'api');
      s = t.state;
      results.push(t.admission.allow);
    }
    expect(results).toEqual([true, true, true, false]);
    const later = takeToken(o, s, 0, 'api');
    expect(later.admission).toEqual({ allow: false, retryAtMs: 100, reason: 'rate limit of api: 10/s' });
    expect(takeToken(o, s, 100, 'api').admission.allow).toBe(true);
  });
});
