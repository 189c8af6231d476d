import type { Clock, TimerHandle } from '@baton/core';

/** The part of `ctx.storage` the clock needs. */
export interface AlarmStorage {
  setAlarm(scheduledTime: number): Promise<void>;
  getAlarm(): Promise<number | null>;
}

/**
 * A `Clock` whose one timer is the Durable Object's alarm. The scheduler
 * only ever holds one timer (for its earliest due time), which is what an
 * object's single alarm can carry. The callback lives in memory; after an
 * eviction the alarm still fires, wakes the object, and its new scheduler
 * finds the due work in storage.
 */
export class AlarmClock implements Clock {
  private readonly storage: AlarmStorage;
  private readonly clockNow: () => number;
  private current: { readonly id: number; readonly callback: () => void; readonly atMs: number } | null = null;
  private nextId = 1;

  constructor(storage: AlarmStorage, now: () => number = () => Date.now()) {
    this.storage = storage;
    this.clockNow = now;
  }

  now(): number {
    return this.clockNow();
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    return this.setTimerAt(callback, this.clockNow() + Math.max(0, delayMs));
  }

  setTimerAt(callback: () => void, atMs: number): TimerHandle {
    const id = this.nextId++;
    this.current = { id, callback, atMs };
    // setAlarm replaces the previous alarm; storage writes apply in order.
    void this.storage.setAlarm(atMs);
    return id;
  }

  clearTimer(handle: TimerHandle): void {
    // The alarm is left to fire (a spurious wake-up finds nothing due):
    // deleting and re-setting it on every re-arm is what makes alarms late.
    if (this.current?.id === handle) this.current = null;
  }

  /** Call from the object's `alarm()`: runs the pending callback, if any. */
  fire(): void {
    const current = this.current;
    this.current = null;
    current?.callback();
  }
}
