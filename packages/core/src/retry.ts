import { nextDelayMs } from './backoff.ts';
import { FailureKind, type Failure, type JobRecord } from './job.ts';
import type { Random } from './random.ts';

export interface RetryInput {
  readonly job: JobRecord;
  readonly failure: Failure;
  readonly nowMs: number;
  readonly random: Random;
  /** From the resource's health (adaptive backoff): at least 1. */
  readonly stretch: number;
}

export type RetryDecision = { readonly retry: true; readonly delayMs: number; readonly reason: string } | { readonly retry: false; readonly reason: string };

/**
 * Decides what follows a failed attempt. Pure: all it knows comes in
 * `input`. The resilience layer (classification, backoff with jitter,
 * budgets, breakers) plugs in here.
 */
export interface RetryPolicy {
  decide(input: RetryInput): RetryDecision;
}

/**
 * The default: permanent failures fail, attempts are limited, and the delay
 * is the job's backoff (with jitter, priority and the resource's health),
 * but never shorter than a server's `Retry-After`. Clients told the same
 * `Retry-After` do not all come back at that instant: each adds up to a
 * fifth of it again, at random.
 */
/** The share of a `Retry-After` added at random, so that clients told the same time spread out. */
export const RETRY_AFTER_SPREAD = 0.2;

export const attemptLimitPolicy: RetryPolicy = {
  decide({ job, failure, random, stretch }) {
    const { maxAttempts, backoff } = job.retry;
    if (!failure.retryable) return { retry: false, reason: `${failure.kind}: not retryable` };
    if (job.attempt >= maxAttempts) return { retry: false, reason: `attempts exhausted (${job.attempt}/${maxAttempts})` };
    const computed = nextDelayMs(backoff, { failures: job.attempt, previousDelayMs: job.retryDelayMs, priority: job.priority, stretch }, random);
    const serverSays = failure.kind === FailureKind.rateLimited && failure.retryAfterMs !== null ? failure.retryAfterMs : 0;
    const spread = serverSays > 0 ? Math.round(random.next() * serverSays * RETRY_AFTER_SPREAD) : 0;
    const delayMs = Math.max(computed, serverSays + spread);
    const why = delayMs > computed ? `retry-after ${serverSays} ms + ${spread} ms spread` : `${backoff.kind} backoff, ${backoff.jitter} jitter`;
    return { retry: true, delayMs, reason: `${failure.kind}, attempt ${job.attempt}/${maxAttempts}, ${why}` };
  },
};
