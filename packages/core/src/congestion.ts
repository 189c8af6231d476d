import { CauseCode } from './causes.ts';
import { type Cause, type JobRecord, PRIORITY_LEVELS } from './job.ts';
import type { ResolvedOptions } from './options.ts';
import type { Store } from './store.ts';

/**
 * How deep the ready set is, and what follows from it: past
 * `congestion.readyDepth` ready jobs low-priority retries wait longer and
 * background work past its deadline is shed; it relaxes as the queue drains. Also counts
 * waiting jobs, so a finished job with nobody waiting costs no query.
 */
export class Congestion {
  /** Ready jobs in the store (all queues), counted from the first tick on. */
  readyDepth = 0;
  /** Waiting jobs in the store: while there are none, a finished job has no one to release. */
  waitingDepth = 0;
  /** Jobs not finished (waiting, scheduled, ready, running): what backpressure limits. */
  unfinished = 0;
  /** 0 (calm) to 1 (fully congested). */
  level = 0;
  private loaded = false;
  private readonly options: ResolvedOptions;

  constructor(options: ResolvedOptions) {
    this.options = options;
  }

  /** Counts once, on the first tick; from then on `apply` keeps the counts current. */
  async load(store: Store): Promise<void> {
    if (this.loaded) return;
    const counts = await store.counts();
    this.readyDepth = counts.ready.reduce((a, b) => a + b, 0);
    this.waitingDepth = counts.waiting.reduce((a, b) => a + b, 0);
    this.unfinished = [counts.waiting, counts.scheduled, counts.ready, counts.running].reduce(
      (sum, byPriority) => sum + byPriority.reduce((a, b) => a + b, 0),
      0,
    );
    this.loaded = true;
    this.update();
  }

  /** After a commit: how many more jobs are ready and waiting than before it. */
  apply(deltas: { readonly ready: number; readonly waiting: number; readonly unfinished: number }): void {
    this.readyDepth += deltas.ready;
    this.waitingDepth += deltas.waiting;
    this.unfinished += deltas.unfinished;
    this.update();
  }

  /** 0 up to `readyDepth`, 1 from twice that. */
  private update(): void {
    const threshold = this.options.congestion.readyDepth;
    this.level = Math.min(1, Math.max(0, (this.readyDepth - threshold) / threshold));
  }

  /** Why a job that never started failed at its deadline: shed, when background work meets congestion. */
  missedDeadline(job: JobRecord): Cause {
    return this.level > 0 && job.priority === 0
      ? { code: CauseCode.shed, message: `shed under congestion (${this.readyDepth} ready): deadline ${job.deadlineAtMs} passed before the job could start` }
      : { code: CauseCode.deadlineExceeded, message: `deadline ${job.deadlineAtMs} passed before the job could start` };
  }

  /** How much longer a retry of this priority waits now: up to 4× for background work at full congestion. */
  retryStretch(priority: number): number {
    return 1 + (this.level * 3 * (PRIORITY_LEVELS - 1 - priority)) / (PRIORITY_LEVELS - 1);
  }

  snapshot(): { readonly readyDepth: number; readonly level: number } {
    return { readyDepth: this.readyDepth, level: this.level };
  }
}
