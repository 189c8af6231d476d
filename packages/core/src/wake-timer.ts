import type { Clock, TimerHandle } from './clock.ts';

/**
 * The scheduler's one host timer, always set for the earliest time anything
 * is due (a job's timer, a lease renewal, an attempt's timeout). A Durable
 * Object's single alarm can carry it.
 */
export class WakeTimer {
  private readonly clock: Clock;
  private readonly fire: () => void;
  private timer: { readonly handle: TimerHandle; readonly atMs: number } | null = null;

  constructor(clock: Clock, fire: () => void) {
    this.clock = clock;
    this.fire = fire;
  }

  /**
   * Makes sure the timer fires by `wakeAtMs`. Returns `true` when that time
   * has already come (the caller runs another tick instead).
   */
  arm(wakeAtMs: number | null, nowMs: number): boolean {
    if (wakeAtMs === null) return false;
    if (wakeAtMs <= nowMs) return true;
    if (this.timer !== null && this.timer.atMs <= wakeAtMs) return false;
    this.clear();
    const fire = () => {
      this.timer = null;
      this.fire();
    };
    const handle = this.clock.setTimerAt !== undefined ? this.clock.setTimerAt(fire, wakeAtMs) : this.clock.setTimer(fire, wakeAtMs - nowMs);
    this.timer = { handle, atMs: wakeAtMs };
    return false;
  }

  clear(): void {
    if (this.timer === null) return;
    this.clock.clearTimer(this.timer.handle);
    this.timer = null;
  }
}
