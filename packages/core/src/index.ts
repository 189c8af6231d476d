export { createScheduler, Scheduler, type SubmitInput, type StopOptions } from './scheduler.ts';
export type { SubmitResult } from './admission.ts';
export type { JobContext, DependencyResult } from './context.ts';
export { createTimerClock, type Clock, type TimerHandle, type TimerHost } from './clock.ts';
export { createRandom, type Random } from './random.ts';
export {
  JobState,
  Priority,
  PRIORITY_LEVELS,
  DependencyFailurePolicy,
  FailureKind,
  TERMINAL_STATES,
  isTerminal,
  type JobRecord,
  type JobInput,
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
export { DEFAULT_AGING_STEP_MS, rankOf, overtakeWindowMs } from './priority.ts';
export { attemptLimitPolicy, type RetryPolicy, type RetryInput, type RetryDecision } from './retry.ts';
export { classify, classifyHttp, retryAfterMsOf, type Classifier } from './classify.ts';
export { nextDelayMs, resolveBackoff, DEFAULT_BACKOFF, BackoffKind, Jitter, type Backoff, type BackoffInput } from './backoff.ts';
export { breakerAllows, breakerRecord, breakerStarted, closedBreaker, type BreakerOptions, type BreakerState, type BreakerDecision } from './breaker.ts';
export {
  budgetAllows,
  budgetRecord,
  throttleAllows,
  throttleRecord,
  throttleRejectProbability,
  takeToken,
  fullBucket,
  type RetryBudgetOptions,
  type ThrottleOptions,
  type RateLimitOptions,
  type TokenBucketState,
  type Admission,
} from './budget.ts';
export {
  freshResource,
  admit,
  recordOutcome,
  failureRate,
  backoffStretch,
  type ResourceOptions,
  type ResourceState,
  type ResourceSnapshot,
  type ResourceDecision,
} from './resource.ts';
export { isLegalTransition } from './transitions.ts';
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
export { Histogram, type MetricsSnapshot, type LatencySummary, type TypeOutcomes } from './metrics.ts';
export {
  emptyBatch,
  type Store,
  type StoreBatch,
  type JobWrite,
  type IdempotencyRecord,
  type StepRecord,
  type ListQuery,
  type ListPage,
  type StateCounts,
} from './store.ts';
export { MemoryStore } from './memory-store.ts';
export {
  BatonError,
  ErrorCode,
  ValidationError,
  UnknownJobError,
  IdempotencyConflictError,
  DependencyCycleError,
  IllegalTransitionError,
  StoreConflictError,
  StorageFullError,
  StoppedError,
  JobError,
  isBatonError,
  type BatonErrorOptions,
} from './errors.ts';
export { capture, toErrorBody, fromErrorBody, unwrap, type ErrorBody, type Result } from './result.ts';
