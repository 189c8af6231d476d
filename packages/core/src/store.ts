import type { Json, JobRecord, JobState } from './job.ts';

/**
 * The storage contract every runtime implements (memory, IndexedDB, SQLite).
 *
 * One writer: a store belongs to one running scheduler at a time (the leader
 * tab's worker, the Durable Object). Reads are plain queries; all writes of
 * one scheduler tick arrive as one `StoreBatch` and must commit atomically,
 * all or nothing. Each job write names the version it expects to replace, so
 * a store refuses a stale write (`StoreConflictError`) instead of losing an
 * update.
 *
 * Indexes a store needs (all served by an ordered index in SQLite/IndexedDB):
 * - claim order: `(queue, priority, fairness key, rank, id)` over jobs whose
 *   `rank` is not null, a missing fairness key as `''`;
 * - timers: `(dueAtMs, id)` over jobs whose `dueAtMs` is not null;
 * - `(blocker)` over waiting jobs' `dependsOn` and `after`;
 * - `(key, id)` for the ordering-key tail;
 * - `(state, id)` and `(queue, id)` for listing.
 */
export interface Store {
  get(id: string): Promise<JobRecord | undefined>;
  getMany(ids: readonly string[]): Promise<ReadonlyArray<JobRecord | undefined>>;
  /**
   * Ready jobs of one queue's priority class in claim order (fairness key,
   * then rank, then id), from where `range` starts, at most `limit`.
   */
  claimable(range: ClaimRange, limit: number): Promise<readonly JobRecord[]>;
  /** Jobs whose `dueAtMs <= nowMs`, earliest first, at most `limit`. */
  due(nowMs: number, limit: number): Promise<readonly JobRecord[]>;
  /** The earliest `dueAtMs` of any job, or `null`. */
  nextDueAtMs(): Promise<number | null>;
  /** Waiting jobs that list `id` in `dependsOn` or as `after`. */
  waitingOn(id: string): Promise<readonly JobRecord[]>;
  /** The job with the greatest id among those with ordering key `key`. */
  lastWithKey(key: string): Promise<JobRecord | undefined>;
  idempotency(key: string): Promise<IdempotencyRecord | undefined>;
  steps(jobId: string): Promise<readonly StepRecord[]>;
  list(query: ListQuery): Promise<ListPage>;
  /** Job counts by state and priority. */
  counts(): Promise<StateCounts>;
  /** Small named values: breaker state, budgets. */
  getMeta(name: string): Promise<Json | undefined>;
  commit(batch: StoreBatch): Promise<void>;
}

/** Where a claim read starts: one queue's priority class, at or after a fairness key. */
export interface ClaimRange {
  readonly queue: string;
  readonly priority: number;
  /** The fairness key to start at (`''` is the key of jobs without one); `null` starts at the first. */
  readonly key: string | null;
  /** Start after `key`'s jobs rather than at them. */
  readonly after: boolean;
  /**
   * At most this many jobs of each fairness key (the first in its claim
   * order), so one read walks the heads of many keys. Unset: no limit.
   */
  readonly perKey?: number;
}

export interface IdempotencyRecord {
  readonly key: string;
  readonly jobId: string;
  /** Hash of the job's type and canonical payload. */
  readonly fingerprint: string;
  readonly expiresAtMs: number;
}

export interface StepRecord {
  readonly jobId: string;
  readonly name: string;
  readonly result: Json;
  readonly attempt: number;
  readonly atMs: number;
}

/**
 * A job's `queue`, `type`, `key` and `fairnessKey` are fixed at submit: an
 * update never changes them (the scheduler's tick refuses one that would),
 * so a store may index them once, at insert. (Its priority can change: a
 * timeout escalates it.)
 */
export interface JobWrite {
  readonly record: JobRecord;
  /** The stored version this write replaces; `null` to insert a new job. */
  readonly expectedVersion: number | null;
  /**
   * The state of that stored version (`null` for an insert). Given so a
   * store can maintain its indexes without reading the row back; the version
   * check is what makes it trustworthy.
   */
  readonly expectedState: JobState | null;
}

export interface StoreBatch {
  readonly jobs: readonly JobWrite[];
  /** Jobs to remove (retention); their steps go with them. */
  readonly deletes: readonly string[];
  readonly idempotency: readonly IdempotencyRecord[];
  /** Idempotency keys to remove (expired). */
  readonly idempotencyDeletes: readonly string[];
  readonly steps: readonly StepRecord[];
  readonly meta: ReadonlyArray<{ readonly name: string; readonly value: Json }>;
  /**
   * Versions the batch relies on without writing those jobs (claims kept in
   * a journal, see `DeferredClaims`): the batch applies only if each job
   * still has its version, as a job write's `expectedVersion` is checked.
   */
  readonly checks?: ReadonlyArray<{ readonly id: string; readonly version: number }>;
}

export interface ListQuery {
  readonly state?: JobState;
  readonly queue?: string;
  readonly type?: string;
  /** Return jobs after this id in the list's order (the previous page's `cursor`). */
  readonly cursor?: string;
  /** @default 100 */
  readonly limit?: number;
  /** By id: `asc` is submit order, `desc` newest first. @default 'asc' */
  readonly order?: 'asc' | 'desc';
}

export interface ListPage<J = JobRecord> {
  readonly jobs: readonly J[];
  /** Pass back to get the next page; `null` on the last. */
  readonly cursor: string | null;
}

/** `counts[state][priority]` */
export type StateCounts = Readonly<Record<JobState, readonly number[]>>;

export function emptyBatch(): StoreBatch {
  return { jobs: [], deletes: [], idempotency: [], idempotencyDeletes: [], steps: [], meta: [] };
}

export function isEmptyBatch(b: StoreBatch): boolean {
  return (
    b.jobs.length === 0 &&
    b.deletes.length === 0 &&
    b.idempotency.length === 0 &&
    b.idempotencyDeletes.length === 0 &&
    b.steps.length === 0 &&
    b.meta.length === 0 &&
    (b.checks?.length ?? 0) === 0
  );
}
