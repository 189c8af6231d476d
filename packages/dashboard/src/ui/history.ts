import type { JobState, MetricsSnapshot } from '@baton/core';

/** The states a job is in before it finishes, charted over time. */
export const ACTIVE_STATES = ['waiting', 'scheduled', 'ready', 'running'] as const satisfies readonly JobState[];
export const FINAL_STATES = ['succeeded', 'failed', 'cancelled'] as const satisfies readonly JobState[];
export const ALL_STATES: readonly JobState[] = [...ACTIVE_STATES, ...FINAL_STATES];
export const PRIORITY_NAMES = ['background', 'low', 'normal', 'high', 'critical'] as const;

/** Jobs the scheduler has seen finish (succeeded or failed), from its per-type counters. */
export function finishedOf(m: MetricsSnapshot): { succeeded: number; failed: number } {
  let succeeded = 0;
  let failed = 0;
  for (const outcome of Object.values(m.byType)) {
    succeeded += outcome.succeeded;
    failed += outcome.failed;
  }
  return { succeeded, failed };
}

/** Unfinished jobs per priority: the active states summed. */
export function activeByPriority(m: MetricsSnapshot): number[] {
  const sums = PRIORITY_NAMES.map(() => 0);
  for (const state of ACTIVE_STATES) for (const [p, n] of m.depth[state].byPriority.entries()) if (p < sums.length) sums[p]! += n;
  return sums;
}

/**
 * The last `capacity` metrics snapshots as columns, ready for charts: time
 * (in seconds, as uPlot wants it), depth per active state, unfinished jobs
 * per priority, and throughput (succeeded and failed per second) between
 * successive snapshots. Fixed memory: the oldest sample drops out.
 *
 * Throughput comes from the scheduler's outcome counters (`byType`), not
 * from the terminal states' depth, so a retention sweep deleting old jobs
 * does not read as negative work; a counter that goes down (the scheduler
 * restarted) leaves a gap rather than a spike.
 */
export class MetricsHistory {
  readonly capacity: number;
  readonly time: number[] = [];
  readonly depth: Record<(typeof ACTIVE_STATES)[number], number[]> = { waiting: [], scheduled: [], ready: [], running: [] };
  readonly priority: number[][] = PRIORITY_NAMES.map(() => []);
  readonly succeededPerSecond: Array<number | null> = [];
  readonly failedPerSecond: Array<number | null> = [];
  private last: { atMs: number; succeeded: number; failed: number } | null = null;
  /** Bumped on every push: tells a view its columns changed. */
  version = 0;

  constructor(capacity = 300) {
    this.capacity = Math.max(2, capacity);
  }

  get length(): number {
    return this.time.length;
  }

  push(m: MetricsSnapshot): void {
    const finished = finishedOf(m);
    const previous = this.last;
    if (previous !== null && m.atMs <= previous.atMs) return; // the same snapshot again, or a clock step back
    let succeeded: number | null = null;
    let failed: number | null = null;
    if (previous !== null && finished.succeeded >= previous.succeeded && finished.failed >= previous.failed) {
      const seconds = (m.atMs - previous.atMs) / 1000;
      succeeded = (finished.succeeded - previous.succeeded) / seconds;
      failed = (finished.failed - previous.failed) / seconds;
    }
    this.last = { atMs: m.atMs, ...finished };
    this.time.push(m.atMs / 1000);
    for (const state of ACTIVE_STATES) this.depth[state].push(m.depth[state].total);
    for (const [p, n] of activeByPriority(m).entries()) this.priority[p]!.push(n);
    this.succeededPerSecond.push(succeeded);
    this.failedPerSecond.push(failed);
    if (this.time.length > this.capacity) {
      this.time.shift();
      for (const state of ACTIVE_STATES) this.depth[state].shift();
      for (const column of this.priority) column.shift();
      this.succeededPerSecond.shift();
      this.failedPerSecond.shift();
    }
    this.version++;
  }

  /** The latest throughput (jobs finished per second), or null before two snapshots. */
  throughput(): { succeeded: number; failed: number } | null {
    const s = this.succeededPerSecond.at(-1);
    const f = this.failedPerSecond.at(-1);
    return s === undefined || f === undefined || s === null || f === null ? null : { succeeded: s, failed: f };
  }
}
