import type { Random } from './random.ts';
import { add, nextSliceMs, totals, type WindowShape, type WindowState } from './window.ts';

/**
 * Retry budget, per resource: retries may be at most `ratio` of first
 * attempts over `windowMs`, or `minRetries` if that is more, so a quiet
 * resource can still retry (Google SRE: a 10 % budget turns a worst case
 * of ~3× load into ~1.1×; the floor is a floor, as Envoy's
 * `min_retry_concurrency`, not an addition). A retry over budget is deferred, not failed, and spends nothing.
 * The budget holds only while the resource is failing: after a few
 * successes in a row (`RECOVERED_STREAK`), deferred retries flow again.
 */
export interface RetryBudgetOptions {
  /** @default 0.1 */
  readonly ratio?: number;
  /** @default 10000 */
  readonly windowMs?: number;
  /** @default 3 */
  readonly minRetries?: number;
}

/**
 * Client-side adaptive throttling (Google SRE, "Handling Overload"): with
 * `requests` and `accepts` counted over `windowMs`, a new call is refused
 * locally with probability `max(0, (requests − k × accepts) / (requests + 1))`.
 * Refused calls are deferred, not failed.
 */
export interface ThrottleOptions {
  /** @default 2 */
  readonly k?: number;
  /** @default 120000 (2 min) */
  readonly windowMs?: number;
}

/** Token bucket: `perSecond` calls a second on average, bursts of up to `burst`. Jobs wait for a token. */
export interface RateLimitOptions {
  readonly perSecond: number;
  /** @default perSecond */
  readonly burst?: number;
}

const BUCKETS = 10;

export function budgetShape(o: RetryBudgetOptions): WindowShape {
  return { windowMs: o.windowMs ?? 10_000, buckets: BUCKETS, fields: 2 }; // [firsts, retries]
}

export function throttleShape(o: ThrottleOptions): WindowShape {
  return { windowMs: o.windowMs ?? 120_000, buckets: BUCKETS, fields: 2 }; // [requests, accepts]
}

export type Admission = { readonly allow: true } | { readonly allow: false; readonly retryAtMs: number; readonly reason: string };

/** May a retry go now? (First attempts always may; they are what the budget is made of.) */
export function budgetAllows(o: RetryBudgetOptions, state: WindowState, nowMs: number, resource: string): Admission {
  const shape = budgetShape(o);
  const [firsts, retries] = totals(shape, state, nowMs);
  const allowed = Math.max((o.ratio ?? 0.1) * firsts!, o.minRetries ?? 3);
  if (retries! + 1 <= allowed) return { allow: true };
  return { allow: false, retryAtMs: nextSliceMs(shape, nowMs), reason: `retry budget of ${resource} spent: ${retries} retries for ${firsts} first attempts` };
}

export function budgetRecord(o: RetryBudgetOptions, state: WindowState, nowMs: number, retry: boolean): WindowState {
  return add(budgetShape(o), state, nowMs, retry ? 1 : 0);
}

export function throttleRejectProbability(o: ThrottleOptions, state: WindowState, nowMs: number): number {
  const [requests, accepts] = totals(throttleShape(o), state, nowMs);
  return Math.max(0, (requests! - (o.k ?? 2) * accepts!) / (requests! + 1));
}

export function throttleAllows(o: ThrottleOptions, state: WindowState, nowMs: number, random: Random, resource: string): Admission {
  const p = throttleRejectProbability(o, state, nowMs);
  if (p === 0 || random.next() >= p) return { allow: true };
  return { allow: false, retryAtMs: nextSliceMs(throttleShape(o), nowMs), reason: `throttled on ${resource}: reject probability ${p.toFixed(2)}` };
}

/** A call went out (`accepted` unknown yet), or came back accepted by the resource. */
export function throttleRecord(o: ThrottleOptions, state: WindowState, nowMs: number, event: 'request' | 'accept'): WindowState {
  return add(throttleShape(o), state, nowMs, event === 'request' ? 0 : 1);
}

export interface TokenBucketState {
  readonly tokens: number;
  readonly atMs: number;
}

export function fullBucket(o: RateLimitOptions, nowMs: number): TokenBucketState {
  return { tokens: o.burst ?? o.perSecond, atMs: nowMs };
}

/** Takes a token if one is there; otherwise says when one will be. */
export function takeToken(
  o: RateLimitOptions,
  state: TokenBucketState,
  nowMs: number,
  resource: string,
): { readonly state: TokenBucketState; readonly admission: Admission } {
  const burst = o.burst ?? o.perSecond;
  const tokens = Math.min(burst, state.tokens + (Math.max(0, nowMs - state.atMs) * o.perSecond) / 1000);
  if (tokens >= 1) return { state: { tokens: tokens - 1, atMs: nowMs }, admission: { allow: true } };
  const waitMs = Math.ceil(((1 - tokens) * 1000) / o.perSecond);
  return { state: { tokens, atMs: nowMs }, admission: { allow: false, retryAtMs: nowMs + waitMs, reason: `rate limit of ${resource}: ${o.perSecond}/s` } };
}
