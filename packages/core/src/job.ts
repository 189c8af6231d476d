/** The job model: what a job is, its states, and the data it carries. */
import type { Backoff } from './backoff.ts';
import type { CauseCode } from './causes.ts';

export const JobState = {
  /** Dependencies unmet, or an earlier job with the same ordering key unfinished. */
  waiting: 'waiting',
  /** Not yet due: a delay or a retry backoff. */
  scheduled: 'scheduled',
  ready: 'ready',
  /** Holds a lease. */
  running: 'running',
  succeeded: 'succeeded',
  /** Terminal: the dead-letter set. */
  failed: 'failed',
  cancelled: 'cancelled',
} as const;
export type JobState = (typeof JobState)[keyof typeof JobState];

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set([JobState.succeeded, JobState.failed, JobState.cancelled]);

export function isTerminal(state: JobState): boolean {
  return state === JobState.succeeded || state === JobState.failed || state === JobState.cancelled;
}

/** Five levels, higher is more important. */
export const Priority = {
  background: 0,
  low: 1,
  normal: 2,
  high: 3,
  critical: 4,
} as const;
export type Priority = (typeof Priority)[keyof typeof Priority];
export const PRIORITY_LEVELS = 5;

/** The fairness key a record takes turns under: `''` for none (and for records stored before the field). */
export function fairnessKeyOf(record: Pick<JobRecord, 'fairnessKey'>): string {
  return record.fairnessKey ?? '';
}

/** How a submit meets a pending job with the same dedupe key (see `JobInput.dedupe`). */
export const DedupeMode = {
  /** Keep the pending job; drop the new submit. */
  throttle: 'throttle',
  /** Replace the pending job with the new one. */
  debounce: 'debounce',
} as const;
export type DedupeMode = (typeof DedupeMode)[keyof typeof DedupeMode];

/** What a dependent does when a dependency fails or is cancelled. */
export const DependencyFailurePolicy = {
  /** The dependent fails too (default). */
  fail: 'fail',
  /** The dependent is cancelled. */
  cancel: 'cancel',
  /** The dependent runs anyway and sees the dependency's outcome. */
  continue: 'continue',
} as const;
export type DependencyFailurePolicy = (typeof DependencyFailurePolicy)[keyof typeof DependencyFailurePolicy];

/** How a failure is treated by the retry layer. Data, so it survives storage and structured clone. */
export const FailureKind = {
  transient: 'transient',
  permanent: 'permanent',
  rateLimited: 'rate-limited',
  timeout: 'timeout',
  /** The network is unreachable: not the server's fault, and not worth an attempt. */
  offline: 'offline',
} as const;
export type FailureKind = (typeof FailureKind)[keyof typeof FailureKind];

export interface Failure {
  readonly kind: FailureKind;
  readonly name: string;
  readonly message: string;
  readonly code: string | null;
  readonly retryable: boolean;
  /** For `rate-limited`: the server's `Retry-After`, in ms. */
  readonly retryAfterMs: number | null;
}

/** A W3C `traceparent`: version, trace id, parent span id, flags, in lowercase hex. */
export const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

/** W3C trace context, carried from producer to worker. */
export interface TraceContext {
  readonly traceparent: string;
  readonly tracestate?: string;
}

/** What a timed-out attempt leads to. */
export const TimeoutPolicy = {
  /** Retry like any transient failure (default). */
  retry: 'retry',
  /** Retry one priority level higher. */
  escalate: 'escalate',
  /** Fail the job. */
  fail: 'fail',
} as const;
export type TimeoutPolicy = (typeof TimeoutPolicy)[keyof typeof TimeoutPolicy];

export interface RetryOptions {
  /** Attempts in all, the first included. `1` means no retry. @default 3 */
  readonly maxAttempts: number;
  readonly backoff: Backoff;
  /** @default 'retry' */
  readonly onTimeout: TimeoutPolicy;
}

/** Why a transition happened: a stable code, and words for people. */
export interface Cause {
  /** One of `CauseCode`, or the code of the failure that ended the job. */
  readonly code: CauseCode | (string & {});
  readonly message?: string;
  /** Who asked for it (a submit, cancel or retry through an API that knows the caller). */
  readonly actor?: Actor;
  /** Who ran the attempt a claim starts (`SchedulerOptions.runner`): the runtime, its version, the tab or object. */
  readonly runner?: string;
}

/** Who asked for a change, as the API that took the request knows them: a tenant, a token's id (never the token). */
export interface Actor {
  readonly tenant?: string;
  /** A short hash of the token used: which credential it was, without the secret. */
  readonly tokenId?: string;
  readonly name?: string;
}

export interface Transition {
  readonly from: JobState | null;
  readonly to: JobState;
  readonly atMs: number;
  readonly attempt: number;
  readonly cause: Cause;
}

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/**
 * A stored job. Records are immutable values: every change makes a new one
 * with `version + 1`. Absent values are `null`, so a record round-trips
 * through JSON, IndexedDB and SQLite unchanged.
 */
export interface JobRecord {
  readonly id: string;
  readonly type: string;
  readonly queue: string;
  readonly payload: Json;
  /** A hash of the canonical payload: tells two jobs' payloads apart without reading them. */
  readonly fingerprint: string;
  readonly priority: Priority;
  /** Jobs with the same ordering key run one at a time, in submit order. */
  readonly key: string | null;
  /**
   * Who the job is for (a tenant, a user, a document): within a priority
   * class, the ready jobs of different fairness keys take turns for slots.
   * `null` jobs share one turn (the key `''`). Records stored by 0.2 lack
   * the field: read it with `fairnessKeyOf`.
   */
  readonly fairnessKey: string | null;
  readonly idempotencyKey: string | null;
  /** Its dedupe key and mode, if it was submitted with one (records stored by 0.2 lack the field). */
  readonly dedupe: { readonly key: string; readonly mode: DedupeMode } | null;
  readonly dependsOn: readonly string[];
  /** The earlier job with the same ordering key that this one waits for. */
  readonly after: string | null;
  readonly onDependencyFailure: DependencyFailurePolicy;
  readonly retry: RetryOptions;
  readonly timeoutMs: number | null;
  readonly deadlineAtMs: number | null;
  /** When the job may first run (a delay); kept while it waits on dependencies. */
  readonly runAtMs: number | null;
  readonly leaseMs: number;
  readonly resource: string | null;
  readonly trace: TraceContext | null;
  readonly tags: readonly string[];
  /** May be aborted and requeued, without spending an attempt, when critical work waits for a slot. */
  readonly preemptible: boolean;
  /** Needs the network: parked while offline, without spending attempts. */
  readonly network: boolean;

  readonly state: JobState;
  readonly version: number;
  /** Attempts started so far. */
  readonly attempt: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  /** When the job last became ready. */
  readonly readyAtMs: number | null;
  /** Claim order while ready (lower first); `null` in every other state. */
  readonly rank: number | null;
  /** The one timer a job can have: `runAt` while scheduled, lease expiry while running. */
  readonly dueAtMs: number | null;
  readonly startedAtMs: number | null;
  readonly finishedAtMs: number | null;
  readonly result: Json | null;
  readonly error: Failure | null;
  /** The last retry delay: decorrelated jitter grows from it. */
  readonly retryDelayMs: number | null;
  readonly progress: Json | null;
  readonly history: readonly Transition[];
}

/** What a caller submits. Everything but `type` has a default. */
export interface JobInput<Type extends string = string, Payload = Json> {
  readonly type: Type;
  readonly payload?: Payload;
  /** Lets jobs in one `submitAll` call refer to each other in `dependsOn`. */
  readonly ref?: string;
  /** 0 (background) to 4 (critical). @default Priority.normal */
  readonly priority?: Priority;
  /** @default 'default' */
  readonly queue?: string;
  /** Jobs with the same ordering key run one at a time, in submit order. */
  readonly key?: string;
  /**
   * Who the job is for (a tenant, a user): ready jobs of different fairness
   * keys in one priority class take turns for the queue's slots, weighted
   * and limited per key by the queue's `keys` options.
   */
  readonly fairnessKey?: string;
  readonly idempotencyKey?: string;
  /**
   * Deduplication while a job with the same `key` is pending (waiting,
   * scheduled or ready: not yet started). `throttle`: the submit stores
   * nothing and answers with the pending job (`deduplicated: true`).
   * `debounce`: the pending job is cancelled (cause `debounced`) and this
   * one takes its place; with `delayMs`, each submit pushes the run out.
   * A job that has started is not affected: the next submit makes a new job.
   */
  readonly dedupe?: { readonly key: string; readonly mode: DedupeMode };
  /** @default options.idempotencyTtlMs */
  readonly idempotencyTtlMs?: number;
  /** Ids of existing jobs, or `ref`s of jobs in the same `submitAll`. */
  readonly dependsOn?: readonly string[];
  /** @default 'fail' */
  readonly onDependencyFailure?: DependencyFailurePolicy;
  readonly retry?: Partial<Omit<RetryOptions, 'backoff'>> & { readonly backoff?: Partial<Backoff> };
  /** Per attempt. Aborts the handler's signal. @default none */
  readonly timeoutMs?: number;
  /** Overall: past it the job fails with cause `deadline-exceeded`. */
  readonly deadlineAtMs?: number;
  readonly delayMs?: number;
  readonly runAtMs?: number;
  /** @default options.leaseMs */
  readonly leaseMs?: number;
  readonly resource?: string;
  readonly trace?: TraceContext;
  readonly tags?: readonly string[];
  /** @default false */
  readonly preemptible?: boolean;
  /** Needs the network: parked while offline. @default false */
  readonly network?: boolean;
}
