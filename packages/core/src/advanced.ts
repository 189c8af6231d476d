/**
 * The building blocks the scheduler is made of, for runtime hosts, store
 * adapters and custom policies: the breaker, retry budget, throttle and
 * rate-limit state machines, backoff arithmetic, the class shares and fair-key reader, the
 * transition table, the latency histogram, and the error envelope that
 * carries Baton errors across RPC and thread boundaries. Applications need
 * none of it: `@baton/core` is the API they use.
 *
 * @module @baton/core/advanced
 */
export { breakerAllows, breakerRecord, breakerStarted, closedBreaker, type BreakerDecision, type BreakerState } from './breaker.ts';
export type { WindowShape, WindowState } from './window.ts';
export {
  budgetAllows,
  budgetRecord,
  throttleAllows,
  throttleRecord,
  throttleRejectProbability,
  takeToken,
  fullBucket,
  type TokenBucketState,
  type Admission,
} from './budget.ts';
export { freshResource, admit, recordOutcome, failureRate, backoffStretch, type ResourceState, type ResourceDecision } from './resource.ts';
export { nextDelayMs, resolveBackoff } from './backoff.ts';
export { ShareLedger } from './shares.ts';
export { FairReader, type ClaimSource, type ResolvedKeyOptions, type Turn } from './fair-keys.ts';
export { isLegalTransition } from './transitions.ts';
export { Histogram } from './metrics.ts';
export { emptyBatch } from './store.ts';
export { DeferredClaims } from './deferred-claims.ts';
export { capture, toErrorBody, fromErrorBody, unwrap, type ErrorBody, type Result } from './result.ts';
export { assertJson } from './json.ts';
export type { SchedulerEndpoint } from './api.ts';
export { serveScheduler, useEndpoint } from './endpoint.ts';
