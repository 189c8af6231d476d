import { add, emptyWindow, totals, type WindowShape, type WindowState } from './window.ts';

/**
 * Circuit breakers, per resource, as pure functions over plain state: the
 * state is JSON, stored through the `Store`, and survives a restart.
 * - `consecutive`: opens after `threshold` failures in a row;
 * - `sampling`: opens when at least `minRequests` calls in `windowMs` saw a
 *   failure ratio of `failureRatio` or more.
 * Open, it refuses calls for `openMs`; then half-open, it lets `probes`
 * calls through: one success closes it, one failure opens it again.
 */
export type BreakerOptions =
  | { readonly kind: 'consecutive'; readonly threshold: number; readonly openMs: number; readonly probes?: number }
  | {
      readonly kind: 'sampling';
      readonly failureRatio: number;
      readonly minRequests: number;
      readonly windowMs: number;
      readonly openMs: number;
      readonly probes?: number;
    };

export interface BreakerState {
  readonly state: 'closed' | 'open' | 'half-open';
  /** Until when it stays open. */
  readonly openUntilMs: number | null;
  readonly consecutiveFailures: number;
  /** Calls let through while half-open and not yet answered. */
  readonly probesInFlight: number;
  /** Sampling: [successes, failures] per slice. */
  readonly window: WindowState | null;
  /** How many times it has opened: for metrics. */
  readonly opened: number;
}

export type BreakerDecision =
  | { readonly allow: true; readonly probe: boolean }
  | { readonly allow: false; readonly retryAtMs: number; readonly reason: string };

const SAMPLING_BUCKETS = 10;

function shape(options: BreakerOptions): WindowShape | null {
  return options.kind === 'sampling' ? { windowMs: options.windowMs, buckets: SAMPLING_BUCKETS, fields: 2 } : null;
}

export function closedBreaker(options: BreakerOptions, nowMs: number): BreakerState {
  const s = shape(options);
  return { state: 'closed', openUntilMs: null, consecutiveFailures: 0, probesInFlight: 0, window: s === null ? null : emptyWindow(s, nowMs), opened: 0 };
}

/** May a call go through now? A half-open breaker lets `probes` through, one at a time each. */
export function breakerAllows(options: BreakerOptions, state: BreakerState, nowMs: number, resource: string): BreakerDecision {
  if (state.state === 'closed') return { allow: true, probe: false };
  if (state.state === 'open' && state.openUntilMs !== null && nowMs < state.openUntilMs) {
    return { allow: false, retryAtMs: state.openUntilMs, reason: `breaker open on ${resource} until ${state.openUntilMs}` };
  }
  const probes = options.probes ?? 1;
  if (state.probesInFlight < probes) return { allow: true, probe: true };
  // Probes are out: ask again shortly (a probe answers within its attempt).
  return { allow: false, retryAtMs: nowMs + Math.max(100, Math.min(options.openMs, 1000)), reason: `breaker half-open on ${resource}, probe in flight` };
}

/** A call was let through (after `breakerAllows` said yes). */
export function breakerStarted(state: BreakerState, probe: boolean): BreakerState {
  if (!probe) return state;
  return { ...state, state: 'half-open', openUntilMs: null, probesInFlight: state.probesInFlight + 1 };
}

/** A call's outcome: a failure is one that says the resource is unwell (transient, timeout, rate-limited). */
export function breakerRecord(options: BreakerOptions, state: BreakerState, nowMs: number, ok: boolean, probe: boolean): BreakerState {
  const probesInFlight = probe ? Math.max(0, state.probesInFlight - 1) : state.probesInFlight;
  const s = shape(options);
  const window = s === null || state.window === null ? state.window : add(s, state.window, nowMs, ok ? 0 : 1);
  if (state.state !== 'closed') {
    if (!probe) return { ...state, window, probesInFlight };
    return ok
      ? { ...closedBreaker(options, nowMs), opened: state.opened }
      : {
          ...state,
          state: 'open',
          openUntilMs: nowMs + options.openMs,
          probesInFlight,
          window,
          consecutiveFailures: state.consecutiveFailures + 1,
          opened: state.opened + 1,
        };
  }
  const consecutiveFailures = ok ? 0 : state.consecutiveFailures + 1;
  let trip = false;
  if (options.kind === 'consecutive') trip = consecutiveFailures >= options.threshold;
  else if (window !== null) {
    const [successes, failures] = totals(s!, window, nowMs);
    const total = successes! + failures!;
    trip = total >= options.minRequests && failures! / total >= options.failureRatio;
  }
  if (!trip) return { ...state, consecutiveFailures, probesInFlight, window };
  return { ...state, state: 'open', openUntilMs: nowMs + options.openMs, consecutiveFailures, probesInFlight: 0, window, opened: state.opened + 1 };
}
