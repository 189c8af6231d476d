import { describe, expect, it } from 'vitest';
import { JobError } from './errors.ts';
import { toFailure } from './failure.ts';

describe('toFailure', () => {
  it('classifies by the retryable flag, and survives structured clone', () => {
    expect(toFailure(new Error('boom'))).toMatchObject({ kind: 'transient', retryable: true, message: 'boom', code: null });
    const permanent = JobError.nonRetryable('nope', { code: 'E_NOPE' });
    expect(toFailure(permanent)).toMatchObject({ kind: 'permanent', retryable: false, code: 'E_NOPE', name: 'JobError' });
    const cloned = structuredClone({ name: 'JobError', message: 'nope', code: 'E_NOPE', retryable: false });
    expect(toFailure(cloned)).toMatchObject({ kind: 'permanent', retryable: false, code: 'E_NOPE' });
    expect(toFailure(Object.assign(new Error('slow down'), { retryAfterMs: 2000 }))).toMatchObject({ kind: 'rate-limited', retryAfterMs: 2000 });
    expect(toFailure('a string')).toMatchObject({ kind: 'transient', message: 'Handler threw a non-error value: a string' });
  });
});
