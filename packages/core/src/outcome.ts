import { CauseCode } from './causes.ts';
import { type Cause, type Failure, FailureKind, type JobRecord, JobState, PRIORITY_LEVELS, type Priority } from './job.ts';
import type { Random } from './random.ts';
import { type RecordPatch, readyPatch } from './records.ts';
import type { RetryPolicy } from './retry.ts';

/** What follows a failed attempt. */
export type FailureDecision =
  /** No answer at all (offline): the job is parked and the attempt given back. */
  | { readonly kind: 'park' }
  | { readonly kind: 'fail'; readonly cause: Cause }
  | { readonly kind: 'retry'; readonly to: typeof JobState.ready | typeof JobState.scheduled; readonly cause: Cause; readonly patch: RecordPatch };

export interface FailureInput {
  readonly job: JobRecord;
  readonly failure: Failure;
  /** The attempt was cut off by the job's deadline. */
  readonly deadline: boolean;
  readonly nowMs: number;
  /** How much longer than its backoff a retry waits now (congestion × the resource's health). */
  readonly stretch: number;
  readonly retryPolicy: RetryPolicy;
  readonly random: Random;
}

/**
 * Decides what a failed attempt leads to, from the failure, the job and its
 * policy: pure, so every rule is testable on its own. In order: offline
 * parks; a deadline fails; a timeout under the `fail` policy fails; then
 * the retry policy decides, and a retry that would start after the
 * deadline fails instead. A timeout under `escalate` retries one priority
 * higher.
 */
export function decideFailure(input: FailureInput): FailureDecision {
  const { job, failure: fault, nowMs } = input;
  if (fault.kind === FailureKind.offline) return { kind: 'park' };
  if (input.deadline || (job.deadlineAtMs !== null && nowMs >= job.deadlineAtMs)) {
    return { kind: 'fail', cause: { code: CauseCode.deadlineExceeded, message: `deadline ${job.deadlineAtMs} passed during attempt ${job.attempt}` } };
  }
  if (fault.kind === FailureKind.timeout && job.retry.onTimeout === 'fail') {
    return { kind: 'fail', cause: { code: fault.code ?? CauseCode.timeout, message: `timeout policy is fail: ${fault.message}` } };
  }
  const decision = input.retryPolicy.decide({ job, failure: fault, nowMs, random: input.random, stretch: input.stretch });
  if (!decision.retry) return { kind: 'fail', cause: { code: fault.code ?? fault.kind, message: `${decision.reason}: ${fault.message}` } };
  const runAtMs = nowMs + decision.delayMs;
  if (job.deadlineAtMs !== null && runAtMs >= job.deadlineAtMs) {
    return { kind: 'fail', cause: { code: CauseCode.deadlineExceeded, message: `the next attempt would start after the deadline ${job.deadlineAtMs}` } };
  }
  const escalate = fault.kind === FailureKind.timeout && job.retry.onTimeout === 'escalate' && job.priority < PRIORITY_LEVELS - 1;
  const priority = (escalate ? job.priority + 1 : job.priority) as Priority;
  const cause: Cause = {
    code: CauseCode.retry,
    message: `retry in ${(decision.delayMs / 1000).toFixed(1)} s: ${decision.reason}${escalate ? `, escalated to priority ${priority}` : ''}: ${fault.message}`,
  };
  const patch: RecordPatch = { error: fault, retryDelayMs: decision.delayMs, priority };
  return decision.delayMs <= 0
    ? { kind: 'retry', to: JobState.ready, cause, patch: { ...readyPatch(nowMs), ...patch } }
    : { kind: 'retry', to: JobState.scheduled, cause, patch: { rank: null, runAtMs, ...patch } };
}
