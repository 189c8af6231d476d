import { describe, expect, it } from 'vitest';
import { breakerAllows, breakerRecord, breakerStarted, closedBreaker, type BreakerOptions, type BreakerState } from './breaker.ts';

function run(options: BreakerOptions, outcomes: Array<[atMs: number, ok: boolean]>, start: BreakerState = closedBreaker(options, 0)): BreakerState {
  let state = start;
  for (const [at, ok] of outcomes) {
    const d = breakerAllows(options, state, at, 'api');
    if (!d.allow) continue;
    state = breakerRecord(options, breakerStarted(state, d.probe), at, ok, d.probe);
  }
  return state;
}

describe('consecutive breaker', () => {
  const options: BreakerOptions = { kind: 'consecutive', threshold: 3, openMs: 10_000 };

  it('opens after the threshold of failures in a row, and refuses until openMs has passed', () => {
    const state = run(options, [
      [0, false],
      [1, false],
      [2, true],
      [3, false],
      [4, false],
      [5, false],
    ]);
    expect(state.state).toBe('open');
    expect(state.openUntilMs).toBe(10_005);
    expect(breakerAllows(options, state, 10_004, 'api')).toEqual({ allow: false, retryAtMs: 10_005, reason: 'breaker open on api until 10005' });
  });

  it('lets one probe through when half-open: success closes, failure reopens', () => {
    const open = run(options, [
      [0, false],
      [1, false],
      [2, false],
    ]);
    const probe = breakerAllows(options, open, 10_002, 'api');
    expect(probe).toEqual({ allow: true, probe: true });
    const probing = breakerStarted(open, true);
    expect(breakerAllows(options, probing, 10_003, 'api').allow).toBe(false); // one probe at a time
    expect(breakerRecord(options, probing, 10_050, true, true).state).toBe('closed');
    const reopened = breakerRecord(options, probing, 10_050, false, true);
    expect(reopened).toMatchObject({ state: 'open', openUntilMs: 20_050, opened: 2 });
  });

  it('is plain JSON that round-trips', () => {
    const state = run(options, [
      [0, false],
      [1, false],
      [2, false],
    ]);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});

describe('sampling breaker', () => {
  const options: BreakerOptions = { kind: 'sampling', failureRatio: 0.5, minRequests: 10, windowMs: 10_000, openMs: 5_000 };

  it('opens when the failure ratio over the window reaches the threshold with enough calls', () => {
    const few = run(
      options,
      Array.from({ length: 6 }, (_, i) => [i * 100, false] as [number, boolean]),
    );
    expect(few.state).toBe('closed'); // under minRequests
    const mixed = run(
      options,
      Array.from({ length: 20 }, (_, i) => [i * 100, i % 3 !== 0] as [number, boolean]),
    );
    expect(mixed.state).toBe('closed'); // a third failing
    const bad = run(
      options,
      Array.from({ length: 20 }, (_, i) => [i * 100, i % 2 === 0 && i < 4] as [number, boolean]),
    );
    expect(bad.state).toBe('open');
  });

  it('forgets failures that have left the window', () => {
    const old = run(
      options,
      Array.from({ length: 9 }, (_, i) => [i * 10, false] as [number, boolean]),
    );
    const later = run(
      options,
      [
        [30_000, false],
        [30_001, true],
      ],
      old,
    );
    expect(later.state).toBe('closed');
  });
});
