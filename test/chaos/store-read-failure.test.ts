/**
 * What the Chromium chaos run found when reads of the job store fail now
 * and then (browser.chaos.test.ts, "reads aborted"), reduced to the core
 * and one failed read, in virtual time. Fixed since: a tick takes what
 * arrived (submits, step results, operations, heartbeats) before it reads
 * the store, and a read that threw used to drop it all (a submit never
 * answered, a step result never stored, so its handler waited for ever,
 * and the timer the tick consumed never set again). Now step results,
 * outcomes and heartbeats go back for the next tick, submits and
 * operations are refused with the error, and the timer is set to try again.
 */
import { type ClaimRange, type JobContext, MemoryStore } from '@baton/core';
import { createScheduler } from '@baton/core';
import { FakeClock, SeededRandom } from '@baton/core/testing';
import { describe, expect, it } from 'vitest';

/** A memory store whose next `claimable` read fails, as an aborted IndexedDB read transaction does. */
class FlakyReads extends MemoryStore {
  failNext = false;

  override async claimable(range: ClaimRange, limit: number) {
    if (this.failNext) {
      this.failNext = false;
      throw new DOMException('The transaction was aborted, so the request cannot be fulfilled.', 'AbortError');
    }
    return super.claimable(range, limit);
  }
}

function rig(handlers: Parameters<typeof createScheduler>[0]['handlers']) {
  const store = new FlakyReads();
  const clock = new FakeClock();
  const logged: string[] = [];
  const scheduler = createScheduler({ store, clock, random: new SeededRandom(1), leaseMs: 1_000, logger: { error: (m) => logged.push(m) }, handlers });
  const settle = () => scheduler.whenIdle();
  return { store, clock, logged, scheduler, settle };
}

/** Whether `promise` settles while the scheduler has nothing left to do. */
async function settles(promise: Promise<unknown>, idle: () => Promise<void>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 10; i++) await idle();
  return done;
}

describe('a store read that fails once, inside a tick', () => {
  it('answers the submit it carried (stored, or refused with the error)', async () => {
    const { store, scheduler, settle, logged } = rig({ work: async () => 'done' });
    store.failNext = true;
    const submitted = scheduler.submit({ type: 'work' });
    const answered = await settles(submitted, settle);
    expect(logged).toEqual(['scheduler tick failed']);
    expect(answered).toBe(true); // before the fix: never answered, and nothing stored
  });

  it('stores or rejects the step result it carried, so the job finishes', async () => {
    let effects = 0;
    const { store, clock, scheduler, settle } = rig({
      work: async (_p: null, ctx: JobContext) => {
        store.failNext = true; // the tick that carries this step's result fails on a read
        await ctx.step('charge', () => ++effects);
        return 'done';
      },
    });
    const { job } = await scheduler.submit({ type: 'work' });
    await clock.advance(10_000, settle); // ten leases
    expect((await scheduler.get(job.id))?.state).toBe('succeeded'); // before the fix: running for ever, its lease renewed
    expect(effects).toBeLessThanOrEqual(2);
  });

  it('sets its timer again, so a due job runs', async () => {
    const { store, clock, scheduler, settle } = rig({ work: async () => 'done' });
    const { job } = await scheduler.submit({ type: 'work', delayMs: 100 });
    await clock.advance(90, settle);
    store.failNext = true; // the tick its timer starts fails on a read
    await clock.advance(10_000, settle);
    expect((await scheduler.get(job.id))?.state).toBe('succeeded'); // before the fix: scheduled for ever, until something else wakes the scheduler
  });
});
