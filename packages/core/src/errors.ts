/**
 * Every error the core raises carries a stable `code`, a `retryable` flag and
 * an optional `cause`. Structured clone across `postMessage` drops
 * prototypes, so test errors with `isBatonError(e, code)`, not only
 * `instanceof`.
 */
export const ErrorCode = {
  validation: 'validation',
  unknownJob: 'unknown-job',
  idempotencyConflict: 'idempotency-conflict',
  dependencyCycle: 'dependency-cycle',
  illegalTransition: 'illegal-transition',
  storeConflict: 'store-conflict',
  storageFull: 'storage-full',
  stopped: 'stopped',
  timeout: 'timeout',
  cancelled: 'cancelled',
  deadlineExceeded: 'deadline-exceeded',
  job: 'job',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface BatonErrorOptions {
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

export class BatonError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: BatonErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BatonError';
    this.code = code;
    this.retryable = options.retryable ?? false;
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

export class StoppedError extends BatonError {
  constructor() {
    super(ErrorCode.stopped, 'The scheduler is stopped');
    this.name = 'StoppedError';
  }
}

/**
 * Thrown by handlers to say how their failure should be treated.
 *
 * @example
 * if (res.status === 404) throw JobError.nonRetryable(`no such image: ${url}`);
 */
export class JobError extends BatonError {
  constructor(message: string, options: BatonErrorOptions & { readonly code?: string } = {}) {
    super(options.code ?? ErrorCode.job, message, { retryable: options.retryable ?? true, cause: options.cause });
    this.name = 'JobError';
  }

  /** A failure that no retry can fix: the job fails at once. */
  static nonRetryable(message: string, options: { readonly code?: string; readonly cause?: unknown } = {}): JobError {
    return new JobError(message, { ...options, retryable: false });
  }
}

/** Guards by `code` too, because structured clone drops prototypes. */
export function isBatonError(value: unknown, code?: string): value is BatonError {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as { code?: unknown; retryable?: unknown };
  const shaped = typeof candidate.code === 'string' && typeof candidate.retryable === 'boolean';
  if (!(value instanceof BatonError) && !shaped) return false;
  return code === undefined || candidate.code === code;
}
