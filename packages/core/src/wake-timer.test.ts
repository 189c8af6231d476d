import { describe, expect, it } from 'vitest';
import type { Clock, TimerHandle } from './clock.ts';
import { FakeClock } from './testing/fake-clock.ts';
import { WakeTimer } from './wake-timer.ts';

type Call = readonly ['setTimer', number] | readonly ['setTimerAt', number] | readonly ['clearTimer', TimerHandle];

/** A clock that records what is asked of it, with or without an absolute timer. */
function recordingClock(absolute = false): { clock: Clock; calls: Call[]; fire: (handle: TimerHandle) => void } {
  const calls: Call[] = [];
  const callbacks = new Map<TimerHandle, () => void>();
  let next = 0;
  const add = (callback: () => void): TimerHandle => {
    const handle = `timer-${++next}`;
    callbacks.set(handle, callback);
    return handle;
  };
  const clock: Clock = {
    now: () => 0,
    setTimer: (callback, delayMs) => {
      calls.push(['setTimer', delayMs]);
      return add(callback);
    },
    clearTimer: (handle) => {
      calls.push(['clearTimer', handle]);
      callbacks.delete(handle);
    },
    ...(absolute
      ? {
          setTimerAt: (callback: () => void, atMs: number) => {
            calls.push(['setTimerAt', atMs]);
            return add(callback);
          },
        }
      : {}),
  };
  return { clock, calls, fire: (handle) => callbacks.get(handle)?.() };
}

describe('WakeTimer', () => {
  it('does nothing when nothing is due', () => {
    const { clock, calls } = recordingClock();
    expect(new WakeTimer(clock, () => {}).arm(null, 1000)).toBe(false);
    expect(calls).toEqual([]);
  });

  it('arms the clock once for the time asked, as a delay from now', () => {
    const { clock, calls } = recordingClock();
    const wake = new WakeTimer(clock, () => {});
    expect(wake.arm(5000, 1000)).toBe(false);
    expect(wake.arm(5000, 1500)).toBe(false);
    expect(calls).toEqual([['setTimer', 4000]]);
  });

  it('keeps the timer set when a later time is asked', () => {
    const { clock, calls } = recordingClock();
    const wake = new WakeTimer(clock, () => {});
    wake.arm(5000, 1000);
    expect(wake.arm(8000, 2000)).toBe(false);
    expect(calls).toEqual([['setTimer', 4000]]);
  });

  it('replaces the timer when an earlier time is asked', () => {
    const { clock, calls } = recordingClock();
    const wake = new WakeTimer(clock, () => {});
    wake.arm(5000, 1000);
    expect(wake.arm(3000, 2000)).toBe(false);
    expect(calls).toEqual([
      ['setTimer', 4000],
      ['clearTimer', 'timer-1'],
      ['setTimer', 1000],
    ]);
  });

  it('returns true without arming when the time has already come', () => {
    const { clock, calls } = recordingClock();
    const wake = new WakeTimer(clock, () => {});
    expect(wake.arm(1000, 1000)).toBe(true);
    expect(wake.arm(400, 1000)).toBe(true);
    expect(calls).toEqual([]);
  });

  it('leaves a timer already set alone when a due time is reported', () => {
    const { clock, calls } = recordingClock();
    const wake = new WakeTimer(clock, () => {});
    wake.arm(5000, 1000);
    expect(wake.arm(1000, 1000)).toBe(true);
    expect(calls).toEqual([['setTimer', 4000]]);
  });

  it('cancels the timer on clear, once', () => {
    const { clock, calls } = recordingClock();
    const wake = new WakeTimer(clock, () => {});
    wake.clear();
    wake.arm(5000, 1000);
    wake.clear();
    wake.clear();
    expect(calls).toEqual([
      ['setTimer', 4000],
      ['clearTimer', 'timer-1'],
    ]);
  });

  it('arms again after clear, even for a later time', () => {
    const { clock, calls } = recordingClock();
    const wake = new WakeTimer(clock, () => {});
    wake.arm(5000, 1000);
    wake.clear();
    wake.arm(9000, 1000);
    expect(calls.at(-1)).toEqual(['setTimer', 8000]);
  });

  it('sets the absolute time when the clock has setTimerAt', () => {
    const { clock, calls } = recordingClock(true);
    const wake = new WakeTimer(clock, () => {});
    wake.arm(5000, 1000);
    wake.arm(3000, 2000);
    expect(calls).toEqual([
      ['setTimerAt', 5000],
      ['clearTimer', 'timer-1'],
      ['setTimerAt', 3000],
    ]);
  });

  it('calls back when the timer fires, and then arms again for any time', () => {
    const { clock, calls, fire } = recordingClock();
    let fired = 0;
    const wake = new WakeTimer(clock, () => fired++);
    wake.arm(5000, 1000);
    fire('timer-1');
    expect(fired).toBe(1);
    wake.arm(9000, 5000);
    expect(calls).toEqual([
      ['setTimer', 4000],
      ['setTimer', 4000],
    ]);
    wake.clear();
    expect(calls.at(-1)).toEqual(['clearTimer', 'timer-2']);
  });

  it('fires on a fake clock at the time armed, and only then', async () => {
    const clock = new FakeClock(0);
    const firedAt: number[] = [];
    const wake = new WakeTimer(clock, () => firedAt.push(clock.now()));
    wake.arm(3000, clock.now());
    wake.arm(2000, clock.now());
    expect(clock.pending).toBe(1);
    await clock.advance(1999);
    expect(firedAt).toEqual([]);
    await clock.advance(10_000);
    expect(firedAt).toEqual([2000]);
    expect(clock.pending).toBe(0);
  });
});
