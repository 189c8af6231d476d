import type { Handlers, SchedulerOptions } from '../options.ts';
import { createScheduler, type Scheduler } from '../scheduler.ts';
import type { Store } from '../store.ts';
import { FakeClock } from './fake-clock.ts';
import { yieldToHost } from './host-yield.ts';
import type { StoreHarness } from './harness.ts';
import { SeededRandom } from './seeded-random.ts';

export const START_MS = 1_700_000_000_000;

/**
 * A scheduler on a fake clock over a harness's store, for tests. Time moves
 * only through `advance`; handlers wait on the same clock with `sleep`.
 */
export class Rig<H extends Handlers = Handlers> {
  readonly clock: FakeClock;
  readonly harness: StoreHarness;
  store: Store;
  scheduler: Scheduler<H>;
  private readonly options: Omit<SchedulerOptions<H>, 'store' | 'clock' | 'random'>;
  private seed = 1;

  private constructor(harness: StoreHarness, store: Store, clock: FakeClock, options: Omit<SchedulerOptions<H>, 'store' | 'clock' | 'random'>) {
    this.harness = harness;
    this.store = store;
    this.clock = clock;
    this.options = options;
    this.scheduler = this.build();
  }

  static async create<H extends Handlers>(harness: StoreHarness, options: Omit<SchedulerOptions<H>, 'store' | 'clock' | 'random'>): Promise<Rig<H>> {
    return new Rig(harness, await harness.open(), new FakeClock(START_MS), options);
  }

  private build(): Scheduler<H> {
    // Started by the caller (`crashAndRestart`, or a test once it has set things up).
    return createScheduler<H>({
      ...this.options,
      store: this.store,
      clock: this.clock,
      random: new SeededRandom(this.seed++),
      autoStart: false,
    } as SchedulerOptions<H>);
  }

  /** Resolves after `ms` of fake time, for handlers. */
  sleep = (ms: number): Promise<void> => new Promise((resolve) => this.clock.setTimer(resolve, ms));

  /**
   * Lets every reaction to what just happened run: handler continuations,
   * the ticks they cause, and theirs in turn, until the scheduler is idle
   * after a full turn of the event loop.
   */
  async settle(): Promise<void> {
    for (let turn = 0; turn < 10_000; turn++) {
      await yieldToHost();
      if (this.scheduler.isIdle()) return;
      await this.scheduler.whenIdle();
    }
    throw new Error('the scheduler did not settle in 10,000 turns of the event loop');
  }

  advance(ms: number): Promise<void> {
    return this.clock.advance(ms, () => this.settle());
  }

  /** Simulates a crash: the scheduler stops dead, and a new one opens the same store. */
  async crashAndRestart(): Promise<void> {
    await this.scheduler.stop({ abort: true });
    const reopened = await this.harness.reopen(this.store);
    if (reopened !== this.store) await this.harness.close?.(this.store);
    this.store = reopened;
    this.scheduler = this.build();
    this.scheduler.start();
    await this.settle();
  }

  async close(): Promise<void> {
    await this.scheduler.stop({ abort: true });
    await this.harness.close?.(this.store);
  }
}
