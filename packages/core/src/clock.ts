/**
 * Time, injected. The core never reads ambient time: every scheduler gets a
 * `Clock`, so policies run deterministically under a fake clock and one
 * isolate can host many schedulers, each with its own.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `callback` once, `delayMs` from now. */
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  /**
   * Calls `callback` once, at `atMs`. Optional: a clock whose timer is an
   * absolute time (a Durable Object alarm) gives it, so the time set is
   * exactly the time asked for.
   */
  setTimerAt?(callback: () => void, atMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** Opaque: whatever the clock's `setTimer` returned. */
export type TimerHandle = unknown;

/** The host functions a real clock is built from. */
export interface TimerHost {
  readonly now: () => number;
  readonly setTimeout: (callback: () => void, delayMs: number) => unknown;
  readonly clearTimeout: (handle: never) => void;
}

/**
 * Builds a `Clock` from the host's own timer functions. The runtimes pass
 * their globals; the core itself never touches them.
 *
 * @example
 * const clock = createTimerClock({
 *   now: () => Date.now(),
 *   setTimeout: (fn, ms) => setTimeout(fn, ms),
 *   clearTimeout: (h) => clearTimeout(h),
 * });
 */
export function createTimerClock(host: TimerHost): Clock {
  return {
    now: host.now,
    setTimer: (callback, delayMs) => host.setTimeout(callback, Math.max(0, delayMs)),
    clearTimer: (handle) => host.clearTimeout(handle as never),
  };
}
