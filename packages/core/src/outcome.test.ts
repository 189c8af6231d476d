import { describe, expect, it } from 'vitest';
import type { Backoff } from './backoff.ts';
import { failure } from './failure.ts';
import { type Failure, FailureKind, type JobRecord, JobState, type RetryOptions } from './job.ts';
import { decideFailure, type FailureInput } from './outcome.ts';
import { transition } from './records.ts';
import { attemptLimitPolicy, RETRY_AFTER_SPREAD } from './retry.ts';
import { sampleRecord } from './testing/conformance/sample-record.ts';
import { SeededRandom } from './testing/seeded-random.ts';

const NOW = 100_000;

const constant = (delayMs: number): Backoff => ({ kind: 'constant', delayMs, factor: 2, maxDelayMs: 60_000, jitter: 'none', priorityScale: 0 });

/** A running job in its first attempt of three, retried after a constant 1 s unless told otherwise. */
function job(over: Partial<JobRecord> = {}, retry: Partial<RetryOptions> = {}): JobRecord {
  return sampleRecord({
    state: JobState.running,
    rank: null,
    attempt: 1,
    startedAtMs: NOW - 100,
    retry: { maxAttempts: 3, backoff: constant(1000), onTimeout: 'retry', ...retry },
    ...over,
  });
}

const transient = failure(FailureKind.transient, 'reset', 'connection reset');
const timedOut = failure(FailureKind.timeout, 'timeout', 'attempt 1 timed out after 500 ms');
const rateLimited = (retryAfterMs: number): Failure => ({ ...failure(FailureKind.rateLimited, 'http-429', 'too many requests'), retryAfterMs });

function decide(over: Partial<FailureInput> = {}) {
  return decideFailure({
    job: job(),
    failure: transient,
    deadline: false,
    nowMs: NOW,
    stretch: 1,
    retryPolicy: attemptLimitPolicy,
    random: new SeededRandom(7),
    ...over,
  });
}

describe('decideFailure', () => {
  it('parks a job that failed for being offline, whatever its attempts and deadline', () => {
    const offline = failure(FailureKind.offline, 'offline', 'Failed to fetch');
    expect(decide({ failure: offline })).toEqual({ kind: 'park' });
    expect(decide({ failure: offline, job: job({ attempt: 3, deadlineAtMs: NOW - 1 }), deadline: true })).toEqual({ kind: 'park' });
  });

  it('fails a job whose deadline has passed, even with attempts left', () => {
    expect(decide({ job: job({ deadlineAtMs: NOW }) })).toEqual({
      kind: 'fail',
      cause: { code: 'deadline-exceeded', message: `deadline ${NOW} passed during attempt 1` },
    });
  });

  it('fails a job whose attempt was cut off by its deadline, before any timeout policy', () => {
    const cut = failure(FailureKind.timeout, 'deadline-exceeded', 'deadline reached');
    const decision = decide({ job: job({ deadlineAtMs: NOW + 50 }, { onTimeout: 'fail' }), failure: cut, deadline: true });
    expect(decision).toEqual({ kind: 'fail', cause: { code: 'deadline-exceeded', message: `deadline ${NOW + 50} passed during attempt 1` } });
  });

  it('fails a timed-out attempt when the timeout policy is fail', () => {
    expect(decide({ job: job({}, { onTimeout: 'fail' }), failure: timedOut })).toEqual({
      kind: 'fail',
      cause: { code: 'timeout', message: 'timeout policy is fail: attempt 1 timed out after 500 ms' },
    });
    expect(decide({ job: job({}, { onTimeout: 'fail' }), failure: { ...timedOut, code: null } })).toMatchObject({ kind: 'fail', cause: { code: 'timeout' } });
  });

  it('fails a non-retryable failure with the reason and its code, or its kind when it has none', () => {
    const permanent = failure(FailureKind.permanent, 'bad-input', 'invalid payload');
    expect(decide({ failure: permanent })).toEqual({ kind: 'fail', cause: { code: 'bad-input', message: 'permanent: not retryable: invalid payload' } });
    expect(decide({ failure: { ...permanent, code: null } })).toMatchObject({ kind: 'fail', cause: { code: 'permanent' } });
  });

  it('fails a job that has used all its attempts', () => {
    expect(decide({ job: job({ attempt: 3 }) })).toEqual({ kind: 'fail', cause: { code: 'reset', message: 'attempts exhausted (3/3): connection reset' } });
  });

  it('schedules a retry after its delay, as a patch that makes a valid scheduled record', () => {
    const base = job();
    const decision = decide({ job: base });
    expect(decision).toEqual({
      kind: 'retry',
      to: JobState.scheduled,
      cause: { code: 'retry', message: 'retry in 1.0 s: transient, attempt 1/3, constant backoff, none jitter: connection reset' },
      patch: { rank: null, runAtMs: NOW + 1000, error: transient, retryDelayMs: 1000, priority: 2 },
    });
    if (decision.kind !== 'retry') throw new Error('expected a retry');
    const next = transition(base, decision.to, NOW, decision.cause, decision.patch);
    expect(next).toMatchObject({ state: JobState.scheduled, runAtMs: NOW + 1000, dueAtMs: NOW + 1000, rank: null, attempt: 1 });
  });

  it('stretches the retry delay by the stretch in force', () => {
    expect(decide({ stretch: 3 })).toMatchObject({ kind: 'retry', to: JobState.scheduled, patch: { runAtMs: NOW + 3000, retryDelayMs: 3000 } });
  });

  it('makes a retry with no delay ready at once, ranked by when it became ready', () => {
    const decision = decide({ job: job({}, { backoff: constant(0) }) });
    expect(decision).toEqual({
      kind: 'retry',
      to: JobState.ready,
      cause: { code: 'retry', message: 'retry in 0.0 s: transient, attempt 1/3, constant backoff, none jitter: connection reset' },
      patch: { readyAtMs: NOW, rank: NOW, dueAtMs: null, error: transient, retryDelayMs: 0, priority: 2 },
    });
  });

  it('fails instead of retrying when the next attempt would start at or after the deadline', () => {
    const late = { kind: 'fail', cause: { code: 'deadline-exceeded', message: `the next attempt would start after the deadline ${NOW + 1000}` } };
    expect(decide({ job: job({ deadlineAtMs: NOW + 500 }) })).toMatchObject({ kind: 'fail', cause: { code: 'deadline-exceeded' } });
    expect(decide({ job: job({ deadlineAtMs: NOW + 1000 }) })).toEqual(late);
    expect(decide({ job: job({ deadlineAtMs: NOW + 1001 }) })).toMatchObject({ kind: 'retry', patch: { runAtMs: NOW + 1000 } });
  });

  it('retries a timeout one priority higher under escalate, up to critical', () => {
    const up = decide({ job: job({ priority: 2 }, { onTimeout: 'escalate' }), failure: timedOut });
    expect(up).toMatchObject({ kind: 'retry', to: JobState.scheduled, patch: { priority: 3 } });
    if (up.kind !== 'retry') throw new Error('expected a retry');
    expect(up.cause.message).toContain(', escalated to priority 3: attempt 1 timed out');
    const top = decide({ job: job({ priority: 4 }, { onTimeout: 'escalate' }), failure: timedOut });
    expect(top).toMatchObject({ kind: 'retry', patch: { priority: 4 } });
    if (top.kind !== 'retry') throw new Error('expected a retry');
    expect(top.cause.message).not.toContain('escalated');
  });

  it('ranks an escalated retry with no delay at its new priority', () => {
    const decision = decide({ job: job({ priority: 1 }, { onTimeout: 'escalate', backoff: constant(0) }), failure: timedOut });
    expect(decision).toMatchObject({ kind: 'retry', to: JobState.ready, patch: { priority: 2, rank: NOW } });
  });

  it('keeps the priority of a timeout under retry, and of other failures under escalate', () => {
    expect(decide({ job: job({ priority: 2 }), failure: timedOut })).toMatchObject({ kind: 'retry', patch: { priority: 2 } });
    expect(decide({ job: job({ priority: 2 }, { onTimeout: 'escalate' }) })).toMatchObject({ kind: 'retry', patch: { priority: 2 } });
  });

  it('waits at least a rate limit’s Retry-After, plus a random spread of up to a fifth of it', () => {
    const spread = Math.round(new SeededRandom(7).next() * 10_000 * RETRY_AFTER_SPREAD);
    expect(spread).toBeGreaterThan(0);
    expect(spread).toBeLessThanOrEqual(2000);
    const decision = decide({ failure: rateLimited(10_000), random: new SeededRandom(7) });
    expect(decision).toMatchObject({ kind: 'retry', to: JobState.scheduled, patch: { runAtMs: NOW + 10_000 + spread, retryDelayMs: 10_000 + spread } });
    if (decision.kind !== 'retry') throw new Error('expected a retry');
    expect(decision.cause.message).toContain(`retry-after 10000 ms + ${spread} ms spread`);
  });

  it('keeps the backoff when it is longer than the Retry-After, and ignores Retry-After on other failures', () => {
    expect(decide({ failure: rateLimited(200) })).toMatchObject({ kind: 'retry', patch: { retryDelayMs: 1000 } });
    expect(decide({ failure: { ...transient, retryAfterMs: 10_000 } })).toMatchObject({ kind: 'retry', patch: { retryDelayMs: 1000 } });
  });

  it('fails a rate-limited job whose Retry-After ends after its deadline', () => {
    expect(decide({ job: job({ deadlineAtMs: NOW + 5000 }), failure: rateLimited(10_000) })).toMatchObject({
      kind: 'fail',
      cause: { code: 'deadline-exceeded' },
    });
  });
});
