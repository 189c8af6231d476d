/**
 * Baton as the simulations run it: the real scheduler on the memory store,
 * under the fake timers the simulation installed (the host's clock reads
 * them), with seeded randomness, one queue of `slots`, and finished jobs
 * not kept.
 */
import { createRandom, createScheduler, type Handlers, MemoryStore, type SchedulerOptions } from '@baton/core';
import { systemClock } from '@baton/core/system';
import { SeededRandom } from '@baton/core/testing';

export function simScheduler<H extends Handlers>(
  seed: number,
  slots: number,
  options: Omit<SchedulerOptions<H>, 'store' | 'clock' | 'random' | 'queues' | 'keepSucceeded'>,
) {
  const seeded = new SeededRandom(seed);
  return createScheduler<H>({
    store: new MemoryStore(),
    clock: systemClock(),
    random: createRandom(() => seeded.next()),
    queues: { default: { concurrency: slots } },
    keepSucceeded: false,
    ...options,
  } as SchedulerOptions<H>);
}
