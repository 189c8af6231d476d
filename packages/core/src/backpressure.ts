import { QueueFullError } from './errors.ts';
import { type JobRecord, JobState } from './job.ts';
import type { Store } from './store.ts';

/** The backpressure limits in force; `null` where there is none. */
export interface BackpressureLimits {
  /** Unfinished jobs in the store. */
  readonly maxUnfinished: number | null;
  /** Unfinished jobs in any one queue. */
  readonly perQueue: number | null;
  /** Unfinished jobs of any one fairness key in a queue (jobs without a key are not held to it). */
  readonly perKey: number | null;
  readonly retryAfterMs: number;
}

const UNFINISHED: readonly JobState[] = [JobState.waiting, JobState.scheduled, JobState.ready, JobState.running];
const LOAD_PAGE = 1_000;

const keyOf = (queue: string, key: string) => `${queue}\u0000${key}`;

/**
 * Backpressure: how many unfinished jobs the store holds, per queue and
 * per fairness key when those are limited, and the room a tick has for
 * more. The per-queue and per-key depths are counted once from the store
 * (on the first tick; its unfinished jobs, a page at a time) and then kept
 * from each committed tick's changes; the total comes from `Congestion`.
 */
export class Backpressure {
  readonly limits: BackpressureLimits;
  private readonly byQueue = new Map<string, number>();
  private readonly byKey = new Map<string, number>();
  private loaded = false;
  /** Jobs refused since this scheduler started. */
  refused = 0;

  constructor(limits: BackpressureLimits) {
    this.limits = limits;
  }

  private get tracksDepths(): boolean {
    return this.limits.perQueue !== null || this.limits.perKey !== null;
  }

  /** Counts the store's unfinished jobs per queue and key, once, if a limit needs them. */
  async load(store: Store): Promise<void> {
    if (this.loaded || !this.tracksDepths) return;
    this.byQueue.clear();
    this.byKey.clear();
    for (const state of UNFINISHED) {
      let cursor: string | undefined;
      do {
        const page = await store.list({ state, limit: LOAD_PAGE, ...(cursor === undefined ? {} : { cursor }) });
        for (const job of page.jobs) this.count(job, 1);
        cursor = page.cursor ?? undefined;
      } while (cursor !== undefined);
    }
    this.loaded = true;
  }

  private count(job: JobRecord, delta: number): void {
    this.byQueue.set(job.queue, (this.byQueue.get(job.queue) ?? 0) + delta);
    if (job.fairnessKey === null || job.fairnessKey === undefined) return;
    const name = keyOf(job.queue, job.fairnessKey);
    const depth = (this.byKey.get(name) ?? 0) + delta;
    if (depth === 0) this.byKey.delete(name);
    else this.byKey.set(name, depth);
  }

  /** A committed tick's changes: each record whose job became unfinished (+1) or stopped being so (−1). */
  committed(changes: Iterable<readonly [JobRecord, number]>): void {
    if (!this.loaded) return;
    for (const [record, delta] of changes) this.count(record, delta);
  }

  /** The room of one tick, given how many jobs are unfinished in the store. */
  room(unfinished: number): TickRoom {
    return new TickRoom(this, unfinished);
  }

  depthOf(queue: string, key: string | null): { readonly queue: number; readonly key: number } {
    return { queue: this.byQueue.get(queue) ?? 0, key: key === null ? 0 : (this.byKey.get(keyOf(queue, key)) ?? 0) };
  }

  snapshot(unfinished: number): BackpressureSnapshot {
    const { maxUnfinished, perQueue, perKey } = this.limits;
    const fullestKeys = [...this.byKey]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([name, depth]) => {
        const [queue, key] = name.split('\u0000') as [string, string];
        return { queue, key, unfinished: depth };
      });
    return {
      maxUnfinished,
      unfinished,
      refused: this.refused,
      perQueue,
      perKey,
      queues: this.tracksDepths ? Object.fromEntries(this.byQueue) : {},
      fullestKeys: perKey === null ? [] : fullestKeys,
    };
  }
}

export interface BackpressureSnapshot {
  /** The limit on unfinished jobs in the store, `null` for none. */
  readonly maxUnfinished: number | null;
  readonly unfinished: number;
  /** Jobs refused since this scheduler started. */
  readonly refused: number;
  readonly perQueue: number | null;
  readonly perKey: number | null;
  /** Unfinished jobs per queue, when a per-queue or per-key limit is set. */
  readonly queues: Readonly<Record<string, number>>;
  /** The fairness keys with the most unfinished jobs (at most 5), when a per-key limit is set. */
  readonly fullestKeys: ReadonlyArray<{ readonly queue: string; readonly key: string; readonly unfinished: number }>;
}

/** What `metrics()` shows with no limit set. */
export const NO_BACKPRESSURE = new Backpressure({ maxUnfinished: null, perQueue: null, perKey: null, retryAfterMs: 0 });

/**
 * One tick's room: units admitted in the tick count against the limits
 * before anything is committed, so a tick never admits past one.
 */
export class TickRoom {
  private readonly of: Backpressure;
  private left: number;
  private readonly addedToQueue = new Map<string, number>();
  private readonly addedToKey = new Map<string, number>();

  constructor(of: Backpressure, unfinished: number) {
    this.of = of;
    this.left = of.limits.maxUnfinished === null ? Number.POSITIVE_INFINITY : of.limits.maxUnfinished - unfinished;
  }

  /** Takes room for `jobs` (new unfinished jobs of one unit), all or none; the refusal if there is not enough. */
  take(jobs: readonly JobRecord[]): QueueFullError | null {
    if (jobs.length === 0) return null;
    const { maxUnfinished, perQueue, perKey, retryAfterMs } = this.of.limits;
    const refuse = (error: QueueFullError): QueueFullError => {
      this.of.refused += jobs.length;
      return error;
    };
    if (jobs.length > this.left) return refuse(new QueueFullError(maxUnfinished!, maxUnfinished! - this.left, jobs.length, retryAfterMs));
    const queues = new Map<string, number>();
    const keys = new Map<string, { queue: string; key: string; n: number }>();
    for (const job of jobs) {
      queues.set(job.queue, (queues.get(job.queue) ?? 0) + 1);
      if (job.fairnessKey !== null) {
        const name = keyOf(job.queue, job.fairnessKey);
        const entry = keys.get(name) ?? { queue: job.queue, key: job.fairnessKey, n: 0 };
        entry.n++;
        keys.set(name, entry);
      }
    }
    if (perQueue !== null) {
      for (const [queue, n] of queues) {
        const depth = this.of.depthOf(queue, null).queue + (this.addedToQueue.get(queue) ?? 0);
        if (depth + n > perQueue) return refuse(new QueueFullError(perQueue, depth, n, retryAfterMs, { queue }));
      }
    }
    if (perKey !== null) {
      for (const [name, { queue, key, n }] of keys) {
        const depth = this.of.depthOf(queue, key).key + (this.addedToKey.get(name) ?? 0);
        if (depth + n > perKey) return refuse(new QueueFullError(perKey, depth, n, retryAfterMs, { queue, key }));
      }
    }
    this.left -= jobs.length;
    for (const [queue, n] of queues) this.addedToQueue.set(queue, (this.addedToQueue.get(queue) ?? 0) + n);
    for (const [name, { n }] of keys) this.addedToKey.set(name, (this.addedToKey.get(name) ?? 0) + n);
    return null;
  }
}
