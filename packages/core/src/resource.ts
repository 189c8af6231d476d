import { breakerAllows, breakerRecord, breakerStarted, closedBreaker, type BreakerOptions, type BreakerState } from './breaker.ts';
import {
  budgetAllows,
  budgetRecord,
  budgetShape,
  fullBucket,
  takeToken,
  throttleAllows,
  throttleRecord,
  throttleRejectProbability,
  throttleShape,
  type RateLimitOptions,
  type RetryBudgetOptions,
  type ThrottleOptions,
  type TokenBucketState,
} from './budget.ts';
import { ValidationError } from './errors.ts';
import type { Json } from './job.ts';
import type { Random } from './random.ts';
import { add, emptyWindow, totals, type WindowShape, type WindowState } from './window.ts';

/** What protects one downstream resource (`job.resource`). */
export interface ResourceOptions {
  readonly breaker?: BreakerOptions;
  readonly retryBudget?: RetryBudgetOptions;
  readonly throttle?: ThrottleOptions;
  readonly rateLimit?: RateLimitOptions;
  /**
   * Adaptive backoff: retry delays stretch by `1 + 3 × failure rate` over the
   * last minute, and shrink back as the resource recovers. @default true
   */
  readonly adaptive?: boolean;
}

/** Everything known of a resource's health: JSON, kept in the store's meta. */
export interface ResourceState {
  readonly breaker: BreakerState | null;
  readonly budget: WindowState | null;
  readonly throttle: WindowState | null;
  readonly bucket: TokenBucketState | null;
  /** [successes, failures] over the last minute, for adaptive backoff. */
  readonly outcomes: WindowState;
  /** Successes since the last failure: a resource answering again lifts its retry budget. */
  readonly streak: number;
}

/** Successes in a row after which a resource counts as recovered and its retry budget stops holding retries back. */
export const RECOVERED_STREAK = 3;

const OUTCOMES: WindowShape = { windowMs: 60_000, buckets: 12, fields: 2 };

export function freshResource(options: ResourceOptions, nowMs: number): ResourceState {
  return {
    breaker: options.breaker === undefined ? null : closedBreaker(options.breaker, nowMs),
    budget: options.retryBudget === undefined ? null : emptyWindow(budgetShape(options.retryBudget), nowMs),
    throttle: options.throttle === undefined ? null : emptyWindow(throttleShape(options.throttle), nowMs),
    bucket: options.rateLimit === undefined ? null : fullBucket(options.rateLimit, nowMs),
    outcomes: emptyWindow(OUTCOMES, nowMs),
    streak: 0,
  };
}

/** A stored state, with parts the options no longer name reset and new ones added. */
export function restoreResource(options: ResourceOptions, stored: Json | undefined, nowMs: number): ResourceState {
  const fresh = freshResource(options, nowMs);
  if (stored === undefined || stored === null || typeof stored !== 'object' || Array.isArray(stored)) return fresh;
  const s = stored as unknown as Partial<ResourceState>;
  return {
    breaker: fresh.breaker === null ? null : (s.breaker ?? fresh.breaker),
    budget: fresh.budget === null ? null : (s.budget ?? fresh.budget),
    throttle: fresh.throttle === null ? null : (s.throttle ?? fresh.throttle),
    bucket: fresh.bucket === null ? null : (s.bucket ?? fresh.bucket),
    outcomes: s.outcomes ?? fresh.outcomes,
    streak: typeof s.streak === 'number' ? s.streak : 0,
  };
}

export type ResourceDecision =
  | { readonly allow: true; readonly probe: boolean }
  | { readonly allow: false; readonly retryAtMs: number; readonly reason: string };

/**
 * May an attempt of a job on this resource start now? Order: breaker, then
 * retry budget (retries only), then throttling, then the rate limit. On yes,
 * the returned state has the start recorded.
 */
export function admit(
  options: ResourceOptions,
  state: ResourceState,
  name: string,
  nowMs: number,
  retry: boolean,
  random: Random,
): { readonly state: ResourceState; readonly decision: ResourceDecision } {
  let probe = false;
  if (options.breaker !== undefined && state.breaker !== null) {
    const d = breakerAllows(options.breaker, state.breaker, nowMs, name);
    if (!d.allow) return { state, decision: d };
    probe = d.probe;
  }
  // The budget holds retries back while the resource is failing; once it has
  // answered a few calls in a row, retries flow again (still counted). A
  // breaker's probe is one call at a time already: the budget does not hold
  // it back, or a spent budget would keep the breaker from seeing recovery.
  if (retry && !probe && options.retryBudget !== undefined && state.budget !== null && state.streak < RECOVERED_STREAK) {
    const d = budgetAllows(options.retryBudget, state.budget, nowMs, name);
    if (!d.allow) return { state, decision: d };
  }
  if (options.throttle !== undefined && state.throttle !== null) {
    const d = throttleAllows(options.throttle, state.throttle, nowMs, random, name);
    if (!d.allow) return { state, decision: d };
  }
  let bucket = state.bucket;
  if (options.rateLimit !== undefined && bucket !== null) {
    const taken = takeToken(options.rateLimit, bucket, nowMs, name);
    if (!taken.admission.allow) return { state: { ...state, bucket: taken.state }, decision: taken.admission };
    bucket = taken.state;
  }
  return {
    state: {
      breaker: state.breaker === null ? null : breakerStarted(state.breaker, probe),
      budget: options.retryBudget === undefined || state.budget === null ? state.budget : budgetRecord(options.retryBudget, state.budget, nowMs, retry),
      throttle: options.throttle === undefined || state.throttle === null ? state.throttle : throttleRecord(options.throttle, state.throttle, nowMs, 'request'),
      bucket,
      outcomes: state.outcomes,
      streak: state.streak,
    },
    decision: { allow: true, probe },
  };
}

/**
 * An attempt's outcome. `healthy` is false when the failure says the
 * resource is unwell (transient, timeout, rate-limited); a success or a
 * permanent failure (the resource answered, the request was wrong) is healthy.
 */
export function recordOutcome(options: ResourceOptions, state: ResourceState, nowMs: number, healthy: boolean, probe: boolean): ResourceState {
  return {
    breaker: options.breaker === undefined || state.breaker === null ? state.breaker : breakerRecord(options.breaker, state.breaker, nowMs, healthy, probe),
    budget: state.budget,
    throttle:
      options.throttle === undefined || state.throttle === null || !healthy
        ? state.throttle
        : throttleRecord(options.throttle, state.throttle, nowMs, 'accept'),
    bucket: state.bucket,
    outcomes: add(OUTCOMES, state.outcomes, nowMs, healthy ? 0 : 1),
    // A probe that came back healthy is the breaker's judgement that the resource recovered: the budget lifts too.
    streak: healthy ? (probe ? Math.max(RECOVERED_STREAK, state.streak + 1) : state.streak + 1) : 0,
  };
}

/** Failures over calls in the last minute (0 when there were none). */
export function failureRate(state: ResourceState, nowMs: number): number {
  const [ok, failed] = totals(OUTCOMES, state.outcomes, nowMs);
  return ok! + failed! === 0 ? 0 : failed! / (ok! + failed!);
}

/** How much longer than its backoff a retry on this resource waits now. */
export function backoffStretch(options: ResourceOptions, state: ResourceState, nowMs: number): number {
  return options.adaptive === false ? 1 : 1 + 3 * failureRate(state, nowMs);
}

export interface ResourceSnapshot {
  readonly breaker: BreakerState['state'] | null;
  readonly breakerOpenedTimes: number;
  readonly failureRate: number;
  readonly retryBudget: { readonly firstAttempts: number; readonly retries: number } | null;
  readonly throttleRejectProbability: number | null;
  readonly tokens: number | null;
}

export function snapshotResource(options: ResourceOptions, state: ResourceState, nowMs: number): ResourceSnapshot {
  const budget = options.retryBudget !== undefined && state.budget !== null ? totals(budgetShape(options.retryBudget), state.budget, nowMs) : null;
  return {
    breaker: state.breaker?.state ?? null,
    breakerOpenedTimes: state.breaker?.opened ?? 0,
    failureRate: failureRate(state, nowMs),
    retryBudget: budget === null ? null : { firstAttempts: budget[0]!, retries: budget[1]! },
    throttleRejectProbability:
      options.throttle !== undefined && state.throttle !== null ? throttleRejectProbability(options.throttle, state.throttle, nowMs) : null,
    tokens: state.bucket?.tokens ?? null,
  };
}

function positive(field: string, value: unknown, min: number, max = Infinity): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ValidationError(field, `Expected \`${field}\` to be a number from ${min}${max === Infinity ? ' and up' : ` to ${max}`}, got ${String(value)}`);
  }
}

/** Checks resource options at construction, naming the bad field. */
export function validateResource(field: string, o: ResourceOptions): void {
  if (o === null || typeof o !== 'object') throw new ValidationError(field, `Expected \`${field}\` to be an object, got ${String(o)}`);
  const b = o.breaker;
  if (b !== undefined) {
    if (b.kind !== 'consecutive' && b.kind !== 'sampling')
      throw new ValidationError(
        `${field}.breaker.kind`,
        `Expected \`${field}.breaker.kind\` to be "consecutive" or "sampling", got ${String((b as { kind?: unknown }).kind)}`,
      );
    positive(`${field}.breaker.openMs`, b.openMs, 1);
    positive(`${field}.breaker.probes`, b.probes, 1);
    if (b.kind === 'consecutive') positive(`${field}.breaker.threshold`, b.threshold, 1);
    else {
      positive(`${field}.breaker.failureRatio`, b.failureRatio, 0, 1);
      positive(`${field}.breaker.minRequests`, b.minRequests, 1);
      positive(`${field}.breaker.windowMs`, b.windowMs, 1);
    }
  }
  positive(`${field}.retryBudget.ratio`, o.retryBudget?.ratio, 0);
  positive(`${field}.retryBudget.windowMs`, o.retryBudget?.windowMs, 1);
  positive(`${field}.retryBudget.minRetries`, o.retryBudget?.minRetries, 0);
  positive(`${field}.throttle.k`, o.throttle?.k, 1);
  positive(`${field}.throttle.windowMs`, o.throttle?.windowMs, 1);
  if (o.rateLimit !== undefined) {
    positive(`${field}.rateLimit.perSecond`, o.rateLimit.perSecond ?? Number.NaN, Number.MIN_VALUE);
    positive(`${field}.rateLimit.burst`, o.rateLimit.burst, 1);
  }
}
