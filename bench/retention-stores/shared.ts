/**
 * What the bounded-storage benchmark's page (IndexedDB) and object (SQLite)
 * share: the variants, one run's settings, and what a run reports.
 */

/**
 * (a) succeeded jobs deleted at once; (b) kept under a retention; (c) as (b),
 * every job with an idempotency key of a short TTL; (d) kept and never swept
 * (`succeededMs: Infinity`), to tell the cost of keeping a job from the cost
 * of the sweep (rows grow without bound: no bound applies).
 */
export type Variant = 'deleted' | 'kept' | 'keyed' | 'unswept';

export interface RunSettings {
  readonly variant: Variant;
  readonly jobs: number;
  /** Jobs submitted and not yet finished are held between backlog − refill and backlog. */
  readonly backlog: number;
  readonly refill: number;
  readonly concurrency: number;
  readonly retentionMs: number;
  readonly everyMs: number;
  readonly batch: number;
  /** `idempotencyTtlMs` of the keyed variant's jobs. */
  readonly keyTtlMs: number;
}

export interface Sample {
  /** ms since the run started, on the host's clock. */
  readonly atMs: number;
  /** Jobs finished so far. */
  readonly completed: number;
  readonly jobs: number;
  readonly keys: number;
  /** Bytes of storage: `navigator.storage.estimate().usage` less the usage before the run, or the object's `databaseSize`. */
  readonly bytes: number;
}

export interface RunResult {
  readonly variant: Variant;
  readonly jobs: number;
  /** Wall time of the run, measured where it can be (the page; outside the object for workerd). */
  ms: number;
  readonly samples: Sample[];
  readonly end: Sample & {
    /** Keys whose TTL has passed (the sweep deletes a key with its job, once both are old enough). */
    readonly expiredKeys: number;
    /** Expired keys whose job finished more than retention + 2 × everyMs ago, or is gone: what a sweep that keeps up would have deleted. */
    readonly overdueKeys: number;
  };
  /**
   * After the run, retention + 2 × everyMs later and one more job to wake
   * the scheduler (an idle scheduler does not sweep): what is left.
   */
  readonly settled: Sample & { readonly expiredKeys: number; readonly overdueKeys: number };
  /** Jobs the retention sweep deleted (metrics().deleted). */
  readonly swept: number;
  /** IndexedDB, never-swept variant: ms to read one page of 100 succeeded jobs, IdbStore.list (a cursor) against one getAll. */
  readonly listProbe?: { readonly rows: number; readonly pageOf: number; readonly cursorMs: number; readonly getAllMs: number };
  /** Where the host can time it (IndexedDB): store.list calls the sweep made and their cost; commits that deleted jobs. */
  readonly cost?: {
    readonly lists: number;
    readonly listMs: number;
    readonly listMaxMs: number;
    readonly commits: number;
    readonly commitMs: number;
    readonly deletingCommits: number;
    readonly deletingCommitMs: number;
    readonly deletes: number;
    /** The samples (two counts and an estimate, in a read transaction the scheduler's commits wait for): how many, and their time. */
    readonly samples: number;
    readonly sampleMs: number;
  };
}

/** The input of job `i` of a run. */
export function jobInput(settings: RunSettings, i: number): { type: 'noop'; payload: { i: number }; idempotencyKey?: string; idempotencyTtlMs?: number } {
  return settings.variant === 'keyed'
    ? { type: 'noop', payload: { i }, idempotencyKey: `key-${i}`, idempotencyTtlMs: settings.keyTtlMs }
    : { type: 'noop', payload: { i } };
}

/** The scheduler options a variant differs by. */
export function variantOptions(settings: RunSettings): { keepSucceeded: boolean; retention?: { succeededMs: number; everyMs: number; batch: number } } {
  return settings.variant === 'deleted'
    ? { keepSucceeded: false }
    : {
        keepSucceeded: true,
        retention: {
          succeededMs: settings.variant === 'unswept' ? Number.POSITIVE_INFINITY : settings.retentionMs,
          everyMs: settings.everyMs,
          batch: settings.batch,
        },
      };
}

/**
 * Keeps the backlog between `backlog − refill` and `backlog` until `jobs`
 * have been submitted: `completed` after each finished job; `submit` is
 * called with the next batch of inputs (at most LIMITS.batch).
 */
export class Feed {
  submitted = 0;
  completed = 0;
  /** Jobs submitted at most so far (the driver of the object raises it a chunk at a time). */
  cap: number;
  /** Whether a finished job tops the backlog up (else `fill` is called by whoever drives). */
  refillOnDone = true;
  private readonly settings: RunSettings;
  private readonly submit: (inputs: ReturnType<typeof jobInput>[]) => void;
  private waiters: Array<{ until: number; resolve: () => void }> = [];

  constructor(settings: RunSettings, submit: (inputs: ReturnType<typeof jobInput>[]) => void) {
    this.settings = settings;
    this.submit = submit;
    this.cap = settings.jobs;
  }

  /** Tops the backlog up. */
  fill(): void {
    const { backlog, refill } = this.settings;
    const jobs = Math.min(this.cap, this.settings.jobs);
    while (this.submitted < jobs && this.submitted - this.completed <= backlog - refill) {
      const n = Math.min(refill, jobs - this.submitted);
      const inputs = Array.from({ length: n }, (_, k) => jobInput(this.settings, this.submitted + k));
      this.submitted += n;
      this.submit(inputs);
    }
  }

  /** A job finished. */
  done(): void {
    this.completed++;
    if (this.refillOnDone) this.fill();
    if (this.waiters.length > 0 && this.waiters.some((w) => w.until <= this.completed)) {
      const ready = this.waiters.filter((w) => w.until <= this.completed);
      this.waiters = this.waiters.filter((w) => w.until > this.completed);
      for (const w of ready) w.resolve();
    }
  }

  /** Resolves once `until` jobs have finished. */
  until(until: number): Promise<void> {
    if (this.completed >= until) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ until, resolve }));
  }
}

/** What the page puts on `window` (bench/retention-stores/page/main.ts). */
export interface RetentionPage {
  runRetention(settings: RunSettings, sampleMs: number): Promise<RunResult>;
  probeUsage(mb: number): Promise<{ before: number; written: number; deleted: number }>;
}
