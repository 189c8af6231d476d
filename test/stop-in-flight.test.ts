import { type ClaimRange, createScheduler, MemoryStore } from '@baton/core';
import { FakeClock, SeededRandom } from '@baton/core/testing';
import { expect, it } from 'vitest';

/** A memory store whose claim reads wait until let go: a tick held in the middle of claiming. */
class HeldClaims extends MemoryStore {
  private release: (() => void) | null = null;
  private readonly held = new Promise<void>((resolve) => (this.release = resolve));
  readonly reached: Promise<void>;
  private reach!: () => void;

  constructor() {
    super();
    this.reached = new Promise((resolve) => (this.reach = resolve));
  }

  override async claimable(range: ClaimRange, limit: number) {
    this.reach();
    await this.held;
    return super.claimable(range, limit);
  }

  letGo(): void {
    this.release?.();
  }
}

it('stop({ abort: true }) also gives up the handlers a tick in flight starts after it was called', async () => {
  const store = new HeldClaims();
  // A handler that ignores its signal: only giving it up lets `stop` finish.
  const scheduler = createScheduler({ store, clock: new FakeClock(0), random: new SeededRandom(1), handlers: { stuck: () => new Promise<never>(() => {}) } });
  const submitted = scheduler.submit({ type: 'stuck' });
  await store.reached; // the tick has passed its check that the scheduler is running, and is claiming
  const stopped = scheduler.stop({ abort: true }).then(() => 'stopped');
  store.letGo();
  const outcome = await Promise.race([stopped, new Promise((resolve) => setTimeout(() => resolve('still stopping after 2 s'), 2_000))]);
  expect(outcome).toBe('stopped');
  const { job } = await submitted;
  expect((await store.get(job.id))?.state).toBe('running'); // recovered by the next scheduler once its lease lapses
});
