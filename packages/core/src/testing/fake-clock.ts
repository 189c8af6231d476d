import type { Clock, TimerHandle } from '../clock.ts';

interface Timer {
  readonly id: number;
  readonly atMs: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told. `advance` fires due timers in time
 * order; `settle`, called after each, lets the code under test react (and
 * set new timers) before the clock moves on.
 *
 * @example
 * const clock = new FakeClock(0);
 * await clock.advance(1_000, () => scheduler.whenIdle());
 */
export class FakeClock implements Clock {
  private nowMs: number;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

  constructor(startMs = 1_700_000_000_000) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, atMs: this.nowMs + Math.max(0, delayMs), callback });
    return id;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing each due timer and awaiting `settle` after it. */
  async advance(ms: number, settle: () => Promise<void> = async () => {}): Promise<void> {
    await this.advanceTo(this.nowMs + ms, settle);
  }

  async advanceTo(targetMs: number, settle: () => Promise<void> = async () => {}): Promise<void> {
    await settle(); // what is already under way happens now, before time moves
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.timers.values()) {
        if (timer.atMs <= targetMs && (next === undefined || timer.atMs < next.atMs || (timer.atMs === next.atMs && timer.id < next.id))) next = timer;
      }
      if (next === undefined) break;
      this.timers.delete(next.id);
      this.nowMs = Math.max(this.nowMs, next.atMs);
      next.callback();
      await settle();
    }
    this.nowMs = Math.max(this.nowMs, targetMs);
    await settle();
  }
}
