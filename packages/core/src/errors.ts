/**
 * Every error Baton raises, in every tier, carries a stable `code`, a
 * `retryable` flag, `retryAfterMs` when the answer says when to come back,
 * and an optional `cause`. Structured clone across `postMessage` and RPC
 * drop prototypes, so test errors with `isBatonError(e, code)`, not only
 * `instanceof`; the runtimes' clients rebuild the classes from the data.
 */
export const ErrorCode = {
  validation: 'validation',
  unknownJob: 'unknown-job',
  unknownSchedule: 'unknown-schedule',
  idempotencyConflict: 'idempotency-conflict',
  dependencyCycle: 'dependency-cycle',
  illegalTransition: 'illegal-transition',
  /** A retry refused: a dependency has failed or been cancelled (retry it first). */
  dependencyFailed: 'dependency-failed',
  storeConflict: 'store-conflict',
  storageFull: 'storage-full',
  /** Backpressure: the scheduler holds its most unfinished jobs; come back after `retryAfterMs`. */
  queueFull: 'queue-full',
  stopped: 'stopped',
  timeout: 'timeout',
  cancelled: 'cancelled',
  preempted: 'preempted',
  deadlineExceeded: 'deadline-exceeded',
  /** A handler's own failure (`JobError` without a code of its own). */
  job: 'job',
  // Over HTTP (the edge API and its client).
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  notFound: 'not-found',
  unknownQueue: 'unknown-queue',
  badJson: 'bad-json',
  tooLarge: 'too-large',
  unsupportedMediaType: 'unsupported-media-type',
  /** An HTTP answer that was not a Baton error body. */
  http: 'http',
  /** Too many requests: slow down (`retryAfterMs` says when to come back). */
  rateLimited: 'rate-limited',
  /** The tenant's storage is full: nothing more is taken until retention frees some. */
  quotaExceeded: 'quota-exceeded',
  /** Too many event streams open at once. */
  tooManyStreams: 'too-many-streams',
  /** Something failed that should not have; the details are in the server's log. */
  internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface BatonErrorOptions {
  readonly retryable?: boolean;
  /** When a retry makes sense, if the failure says (a `Retry-After`, a reset time). */
  readonly retryAfterMs?: number | null;
  readonly cause?: unknown;
}

export class BatonError<Code extends string = ErrorCode> extends Error {
  readonly code: Code;
  readonly retryable: boolean;
  readonly retryAfterMs: number | null;

  constructor(code: Code, message: string, options: BatonErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BatonError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

/** Bad input: names the field and shows the value. Nothing was written. */
export class ValidationError extends BatonError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(ErrorCode.validation, message);
    this.name = 'ValidationError';
    this.field = field;
  }
}

export class UnknownScheduleError extends BatonError {
  readonly scheduleId: string;
  constructor(scheduleId: string) {
    super(ErrorCode.unknownSchedule, `No schedule with id \`${scheduleId}\``);
    this.name = 'UnknownScheduleError';
    this.scheduleId = scheduleId;
  }
}

export class UnknownJobError extends BatonError {
  readonly jobId: string;
  constructor(jobId: string, message = `No job with id \`${jobId}\``) {
    super(ErrorCode.unknownJob, message);
    this.name = 'UnknownJobError';
    this.jobId = jobId;
  }
}

/** The same idempotency key was submitted with a different type or payload. */
export class IdempotencyConflictError extends BatonError {
  readonly idempotencyKey: string;
  readonly existingJobId: string;
  constructor(idempotencyKey: string, existingJobId: string) {
    super(ErrorCode.idempotencyConflict, `Idempotency key \`${idempotencyKey}\` is already used by job ${existingJobId} with a different type or payload`);
    this.name = 'IdempotencyConflictError';
    this.idempotencyKey = idempotencyKey;
    this.existingJobId = existingJobId;
  }
}

export class DependencyCycleError extends BatonError {
  /** The cycle, first node repeated last: `['a', 'b', 'a']`. */
  readonly cycle: readonly string[];
  constructor(cycle: readonly string[]) {
    super(ErrorCode.dependencyCycle, `Dependency cycle: ${cycle.join(' → ')}`);
    this.name = 'DependencyCycleError';
    this.cycle = cycle;
  }
}

export class IllegalTransitionError extends BatonError {
  constructor(jobId: string, from: string, to: string) {
    super(ErrorCode.illegalTransition, `Job ${jobId} cannot go from \`${from}\` to \`${to}\``);
    this.name = 'IllegalTransitionError';
  }
}

/** A dead-letter retry refused: the job's dependency failed or was cancelled, so it would fail again at once. */
export class DependencyFailedError extends BatonError {
  readonly jobId: string;
  readonly dependencyId: string;
  constructor(jobId: string, dependencyId: string, state: string) {
    super(ErrorCode.dependencyFailed, `Job ${jobId} cannot be retried while its dependency ${dependencyId} is ${state}: retry ${dependencyId} first`);
    this.name = 'DependencyFailedError';
    this.jobId = jobId;
    this.dependencyId = dependencyId;
  }
}

/** A store refused a commit because a record changed underneath it. */
export class StoreConflictError extends BatonError {
  constructor(message: string) {
    super(ErrorCode.storeConflict, message, { retryable: true });
    this.name = 'StoreConflictError';
  }
}

/**
 * The store's quota is used up (IndexedDB's `QuotaExceededError`, say): the
 * whole batch was refused, nothing of it is stored. Retryable once space is
 * freed (finished jobs deleted, or persistent storage granted).
 */
export class StorageFullError extends BatonError {
  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super(ErrorCode.storageFull, message, { retryable: true, cause: options.cause });
    this.name = 'StorageFullError';
  }
}

/**
 * A submit refused by backpressure: the store (`backpressure.maxUnfinished`),
 * a queue (`perQueue`) or a queue's fairness key (`perKey`) holds as many
 * unfinished jobs as it may. Retryable, after `retryAfterMs`; nothing was stored.
 */
export class QueueFullError extends BatonError {
  readonly limit: number;
  /** What is full: the queue, and the fairness key; neither for the store's limit. */
  readonly scope: { readonly queue?: string; readonly key?: string };
  constructor(limit: number, unfinished: number, adding: number, retryAfterMs: number, scope: { readonly queue?: string; readonly key?: string } = {}) {
    const what =
      scope.key !== undefined
        ? `Fairness key ${JSON.stringify(scope.key)} of queue ${JSON.stringify(scope.queue)} is full`
        : scope.queue !== undefined
          ? `Queue ${JSON.stringify(scope.queue)} is full`
          : 'The queue is full';
    super(ErrorCode.queueFull, `${what}: ${unfinished} jobs unfinished of at most ${limit}, ${adding} more refused; try again in ${retryAfterMs} ms`, {
      retryable: true,
      retryAfterMs,
    });
    this.name = 'QueueFullError';
    this.limit = limit;
    this.scope = scope;
  }
}

export class StoppedError extends BatonError {
  constructor(message = 'The scheduler is stopped') {
    super(ErrorCode.stopped, message);
    this.name = 'StoppedError';
  }
}

/**
 * An attempt ran out of time: its own `timeoutMs` (`timeout`) or the job's
 * deadline (`deadline-exceeded`). The reason of the handler's aborted
 * `ctx.signal`; named `TimeoutError`, as the platform's own.
 */
export class TimeoutError extends BatonError {
  constructor(message: string, code: typeof ErrorCode.timeout | typeof ErrorCode.deadlineExceeded = ErrorCode.timeout) {
    super(code, message, { retryable: code === ErrorCode.timeout });
    this.name = 'TimeoutError';
  }
}

/** The job was cancelled while its handler ran: the reason of its aborted `ctx.signal` (named `AbortError`). */
export class CancelledError extends BatonError {
  constructor(message: string) {
    super(ErrorCode.cancelled, message);
    this.name = 'AbortError';
  }
}

/** The attempt gave its slot to critical work and will run again, uncounted (named `AbortError`). */
export class PreemptedError extends BatonError {
  constructor(message: string) {
    super(ErrorCode.preempted, message, { retryable: true });
    this.name = 'AbortError';
  }
}

/**
 * Thrown by handlers to say how their failure should be treated: its
 * `code` (yours, or `job`) is kept on the failure, `retryable: false`
 * fails the job at once, `retryAfterMs` sets the earliest retry (as a
 * server's `Retry-After` would).
 *
 * @example
 * if (res.status === 404) throw JobError.nonRetryable(`no such image: ${url}`, { code: 'no-such-image' });
 * if (res.status === 429) throw new JobError('slow down', { retryAfterMs: 30_000 });
 */
export class JobError extends BatonError<string> {
  constructor(message: string, options: BatonErrorOptions & { readonly code?: string } = {}) {
    super(options.code ?? ErrorCode.job, message, { retryable: options.retryable ?? true, retryAfterMs: options.retryAfterMs ?? null, cause: options.cause });
    this.name = 'JobError';
  }

  /** A failure that no retry can fix: the job fails at once. */
  static nonRetryable(message: string, options: { readonly code?: string; readonly cause?: unknown } = {}): JobError {
    return new JobError(message, { ...options, retryable: false });
  }
}

/**
 * Whether `value` is a Baton error (of `code`, if given): by class, or by
 * shape (a string `code` and a boolean `retryable`), because structured
 * clone drops prototypes. The same answer in Node, a Worker, a page and an
 * edge client.
 */
export function isBatonError<C extends string = ErrorCode>(value: unknown, code?: C): value is BatonError<C> {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as { code?: unknown; retryable?: unknown };
  const shaped = typeof candidate.code === 'string' && typeof candidate.retryable === 'boolean';
  if (!(value instanceof BatonError) && !shaped) return false;
  return code === undefined || candidate.code === code;
}
