import type { BackpressureSnapshot } from './backpressure.ts';
import { CauseCode } from './causes.ts';
import { type Cause, JobState, PRIORITY_LEVELS } from './job.ts';
import type { ResourceSnapshot } from './resource.ts';
import type { StateCounts } from './store.ts';

/**
 * A log-bucketed latency histogram: O(1) to record, fixed memory, quantiles
 * within ~2 % of the true value (16 buckets per power of two).
 */
export class Histogram {
  private readonly buckets: number[] = [];
  private total = 0;
  private maxValue = 0;

  record(valueMs: number): void {
    const v = Math.max(0, valueMs);
    const bucket = v < 1 ? 0 : Math.floor(Math.log2(v) * 16) + 1;
    while (this.buckets.length <= bucket) this.buckets.push(0);
    this.buckets[bucket]!++;
    this.total++;
    if (v > this.maxValue) this.maxValue = v;
  }

  get count(): number {
    return this.total;
  }

  quantile(q: number): number | null {
    if (this.total === 0) return null;
    const target = Math.ceil(q * this.total);
    let seen = 0;
    for (let key = 0; key < this.buckets.length; key++) {
      seen += this.buckets[key]!;
      if (seen >= target) return Math.min(this.maxValue, key === 0 ? 0 : 2 ** (key / 16));
    }
    return this.maxValue;
  }

  summary(): LatencySummary {
    return {
      count: this.total,
      p50Ms: this.quantile(0.5),
      p90Ms: this.quantile(0.9),
      p99Ms: this.quantile(0.99),
      maxMs: this.total === 0 ? null : this.maxValue,
    };
  }
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number | null;
  readonly p90Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

export interface TypeOutcomes {
  readonly succeeded: number;
  readonly failed: number;
  /** succeeded / (succeeded + failed), or null before any outcome. */
  readonly successRatio: number | null;
  /** Finished jobs by attempts used: `attempts[n]` jobs of this type needed n + 1 attempts. */
  readonly attempts: readonly number[];
  /**
   * The chance that attempt n + 1 succeeds, given it ran: jobs that succeeded
   * on it over jobs that reached it (`null` where none did). Read "a third
   * attempt succeeds 12% of the time" at index 2.
   */
  readonly successByAttempt: ReadonlyArray<number | null>;
}

export interface MetricsSnapshot {
  readonly atMs: number;
  /** Jobs per state, and per priority within each state (index = priority). */
  readonly depth: Readonly<Record<JobState, { readonly total: number; readonly byPriority: readonly number[] }>>;
  /** Ready → running, measured since this scheduler started. */
  readonly waitLatency: LatencySummary;
  /** Running → finished attempt. */
  readonly runLatency: LatencySummary;
  /** Finished jobs by attempts used: `retries[n]` jobs needed n + 1 attempts. */
  readonly retries: readonly number[];
  readonly byType: Readonly<Record<string, TypeOutcomes>>;
  /** Lease expiries seen (stalled jobs recovered). */
  readonly stalled: number;
  /** What this scheduler did since it started, counted from committed transitions. */
  readonly counts: TransitionCounts;
  /** Running jobs whose handler has not heartbeated for `stalledAfterMs`. */
  readonly silent: readonly string[];
  /** Breaker, budget, throttle and failure rate per resource this scheduler has seen. */
  readonly resources: Readonly<Record<string, ResourceSnapshot>>;
  /** Ready jobs counted by this scheduler and the congestion level (0–1). */
  readonly congestion: { readonly readyDepth: number; readonly level: number };
  /** Unfinished jobs against the backpressure limits (`null`: none), and submitted jobs they refused since this scheduler started. */
  readonly backpressure: BackpressureSnapshot;
  /** Finished jobs the retention sweep deleted since this scheduler started. */
  readonly deleted: number;
}

/** Committed transitions, counted by what they mean. */
export interface TransitionCounts {
  /** Jobs stored by a submit. */
  readonly submitted: number;
  /** Failed attempts sent back to run after a backoff. */
  readonly retried: number;
  /** Held back by a breaker, budget, throttle or rate limit (no attempt spent). */
  readonly deferred: number;
  /** Background work dropped past its deadline under congestion. */
  readonly shed: number;
  /** Parked while offline (no attempt spent). */
  readonly parked: number;
}

/** The counters the scheduler keeps in memory between snapshots. */
export class MetricsRecorder {
  readonly wait = new Histogram();
  readonly run = new Histogram();
  readonly retries: number[] = [];
  readonly byType = new Map<string, { succeeded: number; failed: number; wonAt: number[]; lostAt: number[] }>();
  stalled = 0;
  private readonly counted = { submitted: 0, retried: 0, deferred: 0, shed: 0, parked: 0 };

  /** Counts a committed tick's transitions. */
  transitions(list: ReadonlyArray<{ readonly from: JobState | null; readonly cause: Cause }>): void {
    for (const { from, cause } of list) {
      if (from === null) this.counted.submitted++;
      else if (cause.code === CauseCode.retry) this.counted.retried++;
      else if (cause.code === CauseCode.deferred) this.counted.deferred++;
      else if (cause.code === CauseCode.offline) this.counted.parked++;
      if (cause.code === CauseCode.shed) this.counted.shed++;
    }
  }

  finished(type: string, attempts: number, succeeded: boolean): void {
    const index = Math.max(0, attempts - 1);
    while (this.retries.length <= index) this.retries.push(0);
    this.retries[index]!++;
    let outcome = this.byType.get(type);
    if (outcome === undefined) {
      outcome = { succeeded: 0, failed: 0, wonAt: [], lostAt: [] };
      this.byType.set(type, outcome);
    }
    const at = succeeded ? outcome.wonAt : outcome.lostAt;
    while (at.length <= index) at.push(0);
    at[index]!++;
    if (succeeded) outcome.succeeded++;
    else outcome.failed++;
  }

  snapshot(atMs: number, counts: StateCounts, silent: readonly string[]): Omit<MetricsSnapshot, 'resources' | 'congestion' | 'backpressure' | 'deleted'> {
    const depth = {} as Record<JobState, { total: number; byPriority: readonly number[] }>;
    for (const state of Object.values(JobState)) {
      const byPriority = counts[state] ?? new Array<number>(PRIORITY_LEVELS).fill(0);
      depth[state] = { total: byPriority.reduce((a, b) => a + b, 0), byPriority };
    }
    const byType: Record<string, TypeOutcomes> = {};
    for (const [type, { succeeded, failed, wonAt, lostAt }] of this.byType) {
      const length = Math.max(wonAt.length, lostAt.length);
      const attempts = Array.from({ length }, (_, i) => (wonAt[i] ?? 0) + (lostAt[i] ?? 0));
      // Jobs that reached attempt i: every job that used i + 1 attempts or more.
      let reached = attempts.reduce((a, b) => a + b, 0);
      const successByAttempt = attempts.map((used, i) => {
        const chance = reached === 0 ? null : (wonAt[i] ?? 0) / reached;
        reached -= used;
        return chance;
      });
      byType[type] = { succeeded, failed, successRatio: succeeded + failed === 0 ? null : succeeded / (succeeded + failed), attempts, successByAttempt };
    }
    return {
      atMs,
      depth,
      waitLatency: this.wait.summary(),
      runLatency: this.run.summary(),
      retries: [...this.retries],
      byType,
      stalled: this.stalled,
      counts: { ...this.counted },
      silent,
    };
  }
}
