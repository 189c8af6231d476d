import { isBatonError } from './errors.ts';
import { FailureKind, type Failure } from './job.ts';

/** Turns whatever a handler threw into `Failure` data that survives storage. */
export function toFailure(error: unknown, kind?: FailureKind): Failure {
  if (error instanceof Error || (error !== null && typeof error === 'object' && 'message' in error)) {
    const e = error as { name?: unknown; message?: unknown; code?: unknown; retryable?: unknown; retryAfterMs?: unknown };
    const retryable = isBatonError(error) ? error.retryable : e.retryable !== false;
    const retryAfterMs = typeof e.retryAfterMs === 'number' && e.retryAfterMs >= 0 ? e.retryAfterMs : null;
    return {
      kind: kind ?? (retryable ? (retryAfterMs !== null ? FailureKind.rateLimited : FailureKind.transient) : FailureKind.permanent),
      name: typeof e.name === 'string' ? e.name : 'Error',
      message: typeof e.message === 'string' ? e.message : String(e.message),
      code: typeof e.code === 'string' ? e.code : null,
      retryable: kind === FailureKind.permanent ? false : retryable,
      retryAfterMs,
    };
  }
  return {
    kind: kind ?? FailureKind.transient,
    name: 'Error',
    message: `Handler threw a non-error value: ${String(error)}`,
    code: null,
    retryable: kind !== FailureKind.permanent,
    retryAfterMs: null,
  };
}

export function failure(kind: FailureKind, code: string, message: string): Failure {
  return { kind, name: 'BatonError', message, code, retryable: kind !== FailureKind.permanent, retryAfterMs: null };
}
