import { isBatonError } from './errors.ts';
import { FailureKind, type Failure } from './job.ts';

/**
 * Turns what a handler threw into a `Failure`, or returns `undefined` to
 * let the next classifier decide. Configure one per scheduler to teach it
 * your errors; the built-in chain runs after it.
 */
export type Classifier = (error: unknown, nowMs: number) => Failure | undefined;

function describe(error: unknown): { name: string; message: string; code: string | null } {
  if (error !== null && typeof error === 'object') {
    const e = error as { name?: unknown; message?: unknown; code?: unknown };
    return {
      name: typeof e.name === 'string' ? e.name : 'Error',
      message: typeof e.message === 'string' ? e.message : String(e.message ?? error),
      code: typeof e.code === 'string' ? e.code : null,
    };
  }
  return { name: 'Error', message: `Handler threw a non-error value: ${String(error)}`, code: null };
}

/** Reads an HTTP status from an error (`status`, `statusCode`, or `response.status`). */
function statusOf(error: unknown): number | null {
  if (error === null || typeof error !== 'object') return null;
  const e = error as { status?: unknown; statusCode?: unknown; response?: { status?: unknown } };
  for (const candidate of [e.status, e.statusCode, e.response?.status]) {
    if (typeof candidate === 'number' && Number.isInteger(candidate) && candidate >= 100 && candidate <= 599) return candidate;
  }
  return null;
}

/**
 * `Retry-After` in ms, from `retryAfterMs`, or a `retry-after` header
 * (seconds or an HTTP date) on `headers` or `response.headers`.
 */
export function retryAfterMsOf(error: unknown, nowMs: number): number | null {
  if (error === null || typeof error !== 'object') return null;
  const e = error as { retryAfterMs?: unknown; headers?: unknown; response?: { headers?: unknown } };
  if (typeof e.retryAfterMs === 'number' && Number.isFinite(e.retryAfterMs) && e.retryAfterMs >= 0) return e.retryAfterMs;
  for (const headers of [e.headers, e.response?.headers]) {
    let value: unknown;
    if (headers !== null && typeof headers === 'object') {
      const h = headers as { get?: (name: string) => unknown } & Record<string, unknown>;
      value = typeof h.get === 'function' ? h.get('retry-after') : (h['retry-after'] ?? h['Retry-After']);
    }
    if (typeof value !== 'string' || value.trim() === '') continue;
    const seconds = Number(value);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const at = Date.parse(value); // parses the header's own text: no clock read
    if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
  }
  return null;
}

/**
 * HTTP: 408 and 5xx are transient, 429 is rate-limited (with its
 * `Retry-After`, also honoured on 503), any other 4xx is permanent.
 */
export const classifyHttp: Classifier = (error, nowMs) => {
  const status = statusOf(error);
  if (status === null) return undefined;
  const { name, message, code } = describe(error);
  const retryAfterMs = retryAfterMsOf(error, nowMs);
  const base = { name, message, code: code ?? `http-${status}`, retryAfterMs };
  if (status === 429) return { ...base, kind: FailureKind.rateLimited, retryable: true };
  if (status === 408 || status >= 500)
    return { ...base, kind: retryAfterMs !== null && status === 503 ? FailureKind.rateLimited : FailureKind.transient, retryable: true };
  if (status >= 400) return { ...base, kind: FailureKind.permanent, retryable: false };
  return undefined;
};

/**
 * The built-in chain: Baton errors by their flag, timeouts by name, HTTP by
 * status, a `retryable: false` on anything, and otherwise transient.
 */
export function classify(error: unknown, nowMs: number, custom?: Classifier): Failure {
  const decided = custom?.(error, nowMs);
  if (decided !== undefined) return decided;
  const { name, message, code } = describe(error);
  // fetch() rejects with a TypeError when no response came at all: Chromium "Failed to fetch",
  // Firefox "NetworkError when attempting to fetch resource.", Safari "Load failed".
  if (name === 'TypeError' && /failed to fetch|networkerror|load failed|network request failed/i.test(message)) {
    return { kind: FailureKind.offline, name, message, code: code ?? 'offline', retryable: true, retryAfterMs: null };
  }
  if (name === 'TimeoutError') return { kind: FailureKind.timeout, name, message, code: code ?? 'timeout', retryable: true, retryAfterMs: null };
  if (!isBatonError(error)) {
    const http = classifyHttp(error, nowMs);
    if (http !== undefined) return http;
  }
  const retryable = (error as { retryable?: unknown } | null)?.retryable !== false;
  const retryAfterMs = retryAfterMsOf(error, nowMs);
  return {
    kind: !retryable ? FailureKind.permanent : retryAfterMs !== null ? FailureKind.rateLimited : FailureKind.transient,
    name,
    message,
    code,
    retryable,
    retryAfterMs,
  };
}
