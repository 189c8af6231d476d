/**
 * Baton's scheduler core: create a scheduler, submit jobs, read their
 * records, events and metrics, and the `Store` contract runtimes implement.
 * Pure: it reads no clock, timer or randomness of its own (see
 * `@baton/core/system` for the host's). The building blocks the scheduler
 * is made of are in `@baton/core/advanced`; test support and the store
 * conformance suite in `@baton/core/testing`.
 *
 * @module @baton/core
 */
export { createScheduler, Scheduler, type StopOptions } from './scheduler.ts';
export type { SchedulerApi, RequestOptions, SubmitInput, SubmitInputOf, SubmitResult, JobOf, TypeOf, PayloadOf, ResultOf } from './api.ts';
export type { JobContext, DependencyResult, StepInfo, StepOptions } from './context.ts';
export type { Compensation, CompensationPayload } from './compensation.ts';
export type { Instrumentation, AttemptTrace, AttemptEnd, SubmittedJob } from './instrumentation.ts';
export { createTimerClock, type Clock, type TimerHandle, type TimerHost } from './clock.ts';
export { createRandom, type Random } from './random.ts';
export {
  JobState,
  Priority,
  PRIORITY_LEVELS,
  TRACEPARENT,
  fairnessKeyOf,
  DependencyFailurePolicy,
  DedupeMode,
  FailureKind,
  TERMINAL_STATES,
  isTerminal,
  type JobRecord,
  type JobInput,
  type Actor,
  type Json,
  type Failure,
  type Cause,
  type Transition,
  type TraceContext,
  type RetryOptions,
  TimeoutPolicy,
} from './job.ts';
export {
  DEFAULT_QUEUE,
  DEFAULT_CONCURRENCY,
  DEFAULT_LEASE_MS,
  DEFAULT_IDEMPOTENCY_TTL_MS,
  DEFAULT_RETRY,
  DEFAULT_MAX_BATCH,
  type SchedulerOptions,
  type QueueOptions,
  type Handler,
  type Handlers,
  type Logger,
} from './options.ts';
export { DEFAULT_SHARES, type ClassShares, type PriorityName } from './shares.ts';
export type { KeyOptions } from './fair-keys.ts';
export { LIMITS } from './limits.ts';
export { SignalTimeoutError } from './signals.ts';
export { nextOccurrence, MAX_CATCH_UP, type Schedule, type ScheduleInput, type MissedPolicy, type OverlapPolicy, type CronParser } from './schedules.ts';
export { SleepingSignal } from './attempt.ts';
export { attemptLimitPolicy, type RetryPolicy, type RetryInput, type RetryDecision } from './retry.ts';
export { classify, classifyHttp, retryAfterMsOf, type Classifier } from './classify.ts';
export { DEFAULT_BACKOFF, BackoffKind, Jitter, type Backoff, type BackoffInput } from './backoff.ts';
export type { BreakerOptions } from './breaker.ts';
export type { RetentionOptions } from './retention-options.ts';
export type { RetryBudgetOptions, ThrottleOptions, RateLimitOptions } from './budget.ts';
export type { ResourceOptions, ResourceSnapshot } from './resource.ts';
export {
  EventName,
  type SchedulerEvent,
  type TransitionEvent,
  type ProgressEvent,
  type StalledEvent,
  type DeduplicatedEvent,
  type EventOf,
  type Listener,
} from './events.ts';
export type { MetricsSnapshot, LatencySummary, TypeOutcomes, TransitionCounts } from './metrics.ts';
export type {
  Store,
  StoreBatch,
  JobWrite,
  IdempotencyRecord,
  StepRecord,
  ClaimRange,
  ListQuery,
  ListPage,
  StateCounts,
} from './store.ts';
export { MemoryStore } from './memory-store.ts';
export { CauseCode } from './causes.ts';
export {
  BatonError,
  ErrorCode,
  TimeoutError,
  CancelledError,
  PreemptedError,
  ValidationError,
  UnknownJobError,
  UnknownScheduleError,
  IdempotencyConflictError,
  DependencyCycleError,
  QueueFullError,
  IllegalTransitionError,
  DependencyFailedError,
  StoreConflictError,
  StorageFullError,
  StoppedError,
  JobError,
  isBatonError,
  type BatonErrorOptions,
} from './errors.ts';
