import {
  BatonError,
  CancelledError,
  ErrorCode,
  isBatonError,
  PreemptedError,
  StorageFullError,
  StoppedError,
  StoreConflictError,
  TimeoutError,
  UnknownJobError,
  ValidationError,
} from './errors.ts';

/**
 * Errors cross thread and RPC boundaries as data: a Durable Object RPC or a
 * Comlink call rethrows only a message, and callers need the code, whether
 * to retry, and when.
 */
export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  readonly retryable?: boolean;
  readonly retryAfterMs?: number;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorBody };

export async function capture<T>(fn: () => Promise<T>): Promise<Result<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error: toErrorBody(error) };
  }
}

/** A Baton error as data; anything else as `internal` with its message (log the error itself where that message must not go out). */
export function toErrorBody(error: unknown): ErrorBody {
  if (isBatonError(error)) {
    const e = error as BatonError<string> & { field?: unknown };
    return {
      code: e.code,
      message: e.message,
      ...(typeof e.field === 'string' ? { field: e.field } : {}),
      retryable: e.retryable,
      ...(typeof e.retryAfterMs === 'number' ? { retryAfterMs: e.retryAfterMs } : {}),
    };
  }
  return { code: ErrorCode.internal, message: error instanceof Error ? error.message : String(error), retryable: false };
}

/**
 * Turns an error body back into a thrown Baton error of the same class,
 * code, `retryable` and `retryAfterMs`, so `isBatonError(e, code)` and
 * `instanceof` hold on the caller's side.
 */
export function fromErrorBody(body: ErrorBody): BatonError<string> {
  const error = rebuild(body);
  // The body's own flags win: they say what the far side decided.
  const fields = error as { retryable: boolean; retryAfterMs: number | null };
  if (typeof body.retryable === 'boolean') fields.retryable = body.retryable;
  if (typeof body.retryAfterMs === 'number') fields.retryAfterMs = body.retryAfterMs;
  return error;
}

function rebuild(body: ErrorBody): BatonError<string> {
  if (body.field !== undefined) return new ValidationError(body.field, body.message);
  switch (body.code) {
    case ErrorCode.unknownJob:
      return new UnknownJobError('', body.message);
    case ErrorCode.storeConflict:
      return new StoreConflictError(body.message);
    case ErrorCode.storageFull:
      return new StorageFullError(body.message);
    case ErrorCode.stopped:
      return new StoppedError(body.message);
    case ErrorCode.timeout:
    case ErrorCode.deadlineExceeded:
      return new TimeoutError(body.message, body.code);
    case ErrorCode.cancelled:
      return new CancelledError(body.message);
    case ErrorCode.preempted:
      return new PreemptedError(body.message);
    default:
      return new BatonError(body.code, body.message);
  }
}

/** The value, or the error thrown again. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw fromErrorBody(result.error);
}
