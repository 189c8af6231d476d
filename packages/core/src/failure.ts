import { FailureKind, type Failure } from './job.ts';

/** A failure the scheduler itself decides on (deadline, lease, invalid result), as data. */

export function failure(kind: FailureKind, code: string, message: string): Failure {
  return { kind, name: 'BatonError', message, code, retryable: kind !== FailureKind.permanent, retryAfterMs: null };
}
