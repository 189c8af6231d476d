import { describe, expect, it } from 'vitest';
import { classify } from './classify.ts';
import {
  BatonError,
  CancelledError,
  ErrorCode,
  IdempotencyConflictError,
  isBatonError,
  JobError,
  PreemptedError,
  StorageFullError,
  StoreConflictError,
  TimeoutError,
  UnknownJobError,
  ValidationError,
} from './errors.ts';
import { FailureKind } from './job.ts';
import { fromErrorBody, toErrorBody } from './result.ts';

/** Across a thread or an HTTP hop, as the runtimes carry it: the body, through JSON. */
const acrossTheWire = (error: unknown) => fromErrorBody(JSON.parse(JSON.stringify(toErrorBody(error))));

describe('errors', () => {
  it('give every error a code from ErrorCode, a retryable flag and a name', () => {
    const cases: Array<[BatonError<string>, string, boolean, string]> = [
      [new ValidationError('job.type', 'bad'), ErrorCode.validation, false, 'ValidationError'],
      [new UnknownJobError('j1'), ErrorCode.unknownJob, false, 'UnknownJobError'],
      [new IdempotencyConflictError('k', 'j1'), ErrorCode.idempotencyConflict, false, 'IdempotencyConflictError'],
      [new StoreConflictError('stale'), ErrorCode.storeConflict, true, 'StoreConflictError'],
      [new StorageFullError('full'), ErrorCode.storageFull, true, 'StorageFullError'],
      [new TimeoutError('slow'), ErrorCode.timeout, true, 'TimeoutError'],
      [new TimeoutError('late', ErrorCode.deadlineExceeded), ErrorCode.deadlineExceeded, false, 'TimeoutError'],
      [new CancelledError('stop'), ErrorCode.cancelled, false, 'AbortError'],
      [new PreemptedError('yield'), ErrorCode.preempted, true, 'AbortError'],
      [new JobError('flaky'), ErrorCode.job, true, 'JobError'],
      [JobError.nonRetryable('no', { code: 'no-such-image' }), 'no-such-image', false, 'JobError'],
    ];
    for (const [error, code, retryable, name] of cases) {
      expect(error).toBeInstanceOf(BatonError);
      expect({ code: error.code, retryable: error.retryable, name: error.name }).toEqual({ code, retryable, name });
      expect(isBatonError(error, code)).toBe(true);
    }
  });

  it('keep class, code, retryable, retryAfterMs and field through the error body and JSON', () => {
    const full = acrossTheWire(new StorageFullError('IndexedDB quota exceeded'));
    expect(full).toBeInstanceOf(StorageFullError);
    expect({ code: full.code, retryable: full.retryable }).toEqual({ code: 'storage-full', retryable: true });

    const invalid = acrossTheWire(new ValidationError('job.priority', 'Expected `job.priority` …'));
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).field).toBe('job.priority');

    const slow = acrossTheWire(new JobError('slow down', { code: 'throttled', retryAfterMs: 30_000 }));
    expect({ code: slow.code, retryable: slow.retryable, retryAfterMs: slow.retryAfterMs }).toEqual({
      code: 'throttled',
      retryable: true,
      retryAfterMs: 30_000,
    });

    for (const error of [new TimeoutError('slow'), new CancelledError('stop'), new PreemptedError('yield'), new UnknownJobError('j1')]) {
      const back = acrossTheWire(error);
      expect(back.constructor).toBe(error.constructor);
      expect({ code: back.code, retryable: back.retryable, name: back.name }).toEqual({ code: error.code, retryable: error.retryable, name: error.name });
    }
  });

  it('answer anything else as an internal error, and recognise Baton errors by shape once prototypes are gone', () => {
    expect(toErrorBody(new Error('boom'))).toEqual({ code: 'internal', message: 'boom', retryable: false });
    const cloned = JSON.parse(JSON.stringify({ code: 'storage-full', message: 'full', retryable: true }));
    expect(isBatonError(cloned, 'storage-full')).toBe(true);
    expect(isBatonError({ code: 'storage-full' })).toBe(false); // no retryable flag: not ours
    expect(isBatonError(new Error('plain'))).toBe(false);
  });

  it('let a handler say when to retry: a JobError with retryAfterMs is classified rate-limited', () => {
    const failure = classify(new JobError('slow down', { retryAfterMs: 5_000 }), 0);
    expect(failure).toMatchObject({ kind: FailureKind.rateLimited, retryable: true, retryAfterMs: 5_000, code: 'job' });
    expect(classify(new TimeoutError('slow'), 0)).toMatchObject({ kind: FailureKind.timeout, code: 'timeout' });
  });
});
