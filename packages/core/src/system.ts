/**
 * The host's own time and randomness, for programs that run Baton directly
 * in Node, a page or a Worker: `systemClock()`, `systemRandom()`, and a
 * `createScheduler` that fills them in (with an in-memory store) when they
 * are not given.
 *
 * This is the one module of `@baton/core` that reads globals. The scheduler
 * never imports it: it keeps taking its clock, randomness and store as
 * arguments, so tests run it on a fake clock and one isolate can host many.
 *
 * @example
 * import { createScheduler } from '@baton/core/system';
 *
 * const scheduler = createScheduler({ handlers: { greet: async (p: { name: string }) => `hello ${p.name}` } });
 * const { job } = await scheduler.submit({ type: 'greet', payload: { name: 'Ada' } });
 * console.log((await scheduler.waitFor(job.id)).result); // hello Ada
 *
 * @module @baton/core/system
 */
import { type Clock, createTimerClock } from './clock.ts';
import { MemoryStore } from './memory-store.ts';
import type { Handlers, SchedulerOptions } from './options.ts';
import { createRandom, type Random } from './random.ts';
import { cronParser } from './cron.ts';
import { createScheduler as createInjectedScheduler, type Scheduler } from './scheduler.ts';

/** Wall time (`Date.now`) and the host's `setTimeout`. */
export function systemClock(): Clock {
  return createTimerClock({
    now: () => Date.now(),
    setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
    clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
  });
}

/** `Math.random`. */
export function systemRandom(): Random {
  return createRandom(Math.random);
}

/** `SchedulerOptions` with the host's defaults for what it leaves out. */
export type SystemSchedulerOptions<H extends Handlers> = Omit<SchedulerOptions<H>, 'store' | 'clock' | 'random'> &
  Partial<Pick<SchedulerOptions<H>, 'store' | 'clock' | 'random'>>;

/**
 * `createScheduler` from `@baton/core`, with defaults: a `MemoryStore`,
 * `systemClock()`, `systemRandom()` and `cronParser` unless given. It starts at once
 * (`autoStart`), like the core's.
 *
 * @example
 * const scheduler = createScheduler({ handlers: { resize: async (p: { url: string }) => resize(p.url) } });
 */
export function createScheduler<H extends Handlers>(options: SystemSchedulerOptions<H>): Scheduler<H> {
  return createInjectedScheduler<H>({
    ...options,
    store: options.store ?? new MemoryStore(),
    clock: options.clock ?? systemClock(),
    random: options.random ?? systemRandom(),
    cron: options.cron ?? cronParser,
  } as SchedulerOptions<H>);
}
