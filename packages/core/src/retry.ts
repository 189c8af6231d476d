import { FailureKind, type Failure, type JobRecord } from './job.ts';
import type { Random } from './random.ts';

export interface RetryInput {
  readonly job: JobRecord;
  readonly failure: Failure;
  readonly nowMs: number;
  readonly random: Random;
}

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number; readonly reason: string }
  | { readonly retry: false; readonly reason: string };

/**
 * Decides what follows a failed attempt. Pure: all it knows comes in
 * `input`. The resilience layer (classification, backoff with jitter,
 * budgets, breakers) plugs in here.
 */
export interface RetryPolicy {
  decide(input: RetryInput): RetryDecision;
}

/** Attempt limit and the job's own backoff; honours a rate limit's retry-after. */
export const attemptLimitPolicy: RetryPolicy = {
  decide({ job, failure }) {
    const { maxAttempts, backoff } = job.retry;
    if (!failure.retryable) return { retry: false, reason: `${failure.kind}: not retryable` };
    if (job.attempt >= maxAttempts) return { retry: false, reason: `attempts exhausted (${job.attempt}/${maxAttempts})` };
    const waitMs = failure.kind === FailureKind.rateLimited && failure.retryAfterMs !== null ? Math.max(backoff.delayMs, failure.retryAfterMs) : backoff.delayMs;
    return { retry: true, delayMs: waitMs, reason: `${failure.kind}, attempt ${job.attempt}/${maxAttempts}` };
  },
};
