import { Effects } from './effects.ts';
import type { Cause, JobRecord } from './job.ts';
import type { Store } from './store.ts';
import { Tick } from './tick.ts';

/**
 * One tick, as every part of the scheduler sees it: its view of the store
 * (`tick`, which leaves as one batch), its time (`now`), and what follows
 * the commit (`fx`). Passed as one value instead of three arguments.
 */
export class TickContext {
  readonly tick: Tick;
  readonly now: number;
  readonly fx = new Effects();

  constructor(store: Store, now: number) {
    this.tick = new Tick(store);
    this.now = now;
  }

  /** Writes a transition of `base` (or a new job, `base` null) and announces it after the commit. */
  put(next: JobRecord, base: JobRecord | null, cause: Cause): void {
    this.tick.put(next, base);
    this.fx.transitions.push({ record: next, from: base?.state ?? null, cause });
  }

  /**
   * The version of `record` this tick holds: a list read earlier in the tick
   * may be stale once a record in it has been written since.
   */
  current(record: JobRecord): JobRecord {
    return this.tick.peek(record.id) ?? record;
  }
}
