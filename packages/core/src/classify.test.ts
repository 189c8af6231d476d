import { describe, expect, it } from 'vitest';
import { classify } from './classify.ts';
import { JobError } from './errors.ts';

const NOW = 1_700_000_000_000;
const http = (status: number, headers: Record<string, string> = {}) => Object.assign(new Error(`HTTP ${status}`), { status, headers: new Headers(headers) });

describe('classify', () => {
  it('maps HTTP statuses: 408 and 5xx transient, 429 rate-limited, other 4xx permanent', () => {
    expect(classify(http(503), NOW)).toMatchObject({ kind: 'transient', retryable: true, code: 'http-503' });
    expect(classify(http(408), NOW)).toMatchObject({ kind: 'transient', retryable: true });
    expect(classify(http(429, { 'retry-after': '7' }), NOW)).toMatchObject({ kind: 'rate-limited', retryAfterMs: 7000 });
    expect(classify(http(404), NOW)).toMatchObject({ kind: 'permanent', retryable: false, code: 'http-404' });
    expect(classify({ message: 'x', response: { status: 500 } }, NOW)).toMatchObject({ kind: 'transient' });
  });

  it('honours Retry-After as seconds or as an HTTP date, also on 503', () => {
    const date = new Date(NOW + 30_000).toUTCString();
    expect(classify(http(503, { 'retry-after': date }), NOW)).toMatchObject({ kind: 'rate-limited', retryAfterMs: 30_000 });
    expect(classify(Object.assign(new Error('slow'), { status: 429, headers: { 'Retry-After': '2' } }), NOW).retryAfterMs).toBe(2000);
  });

  it('keeps typed errors as they say, and survives structured clone', () => {
    const permanent = JobError.nonRetryable('nope', { code: 'E_NOPE' });
    expect(classify(permanent, NOW)).toMatchObject({ kind: 'permanent', retryable: false, code: 'E_NOPE' });
    const cloned = structuredClone({ name: 'JobError', message: 'nope', code: 'E_NOPE', retryable: false });
    expect(classify(cloned, NOW)).toMatchObject({ kind: 'permanent', retryable: false, code: 'E_NOPE' });
    expect(classify(Object.assign(new Error('t'), { name: 'TimeoutError' }), NOW)).toMatchObject({ kind: 'timeout', retryable: true });
    expect(classify(new Error('boom'), NOW)).toMatchObject({ kind: 'transient', retryable: true, message: 'boom' });
    expect(classify('a string', NOW)).toMatchObject({ kind: 'transient', message: 'Handler threw a non-error value: a string' });
  });

  it('asks a custom classifier first, falling back when it passes', () => {
    const custom = (e: unknown) =>
      (e as Error).message === 'quota'
        ? { kind: 'rate-limited' as const, name: 'Quota', message: 'quota', code: 'quota', retryable: true, retryAfterMs: 60_000 }
        : undefined;
    expect(classify(new Error('quota'), NOW, custom)).toMatchObject({ kind: 'rate-limited', retryAfterMs: 60_000 });
    expect(classify(http(400), NOW, custom)).toMatchObject({ kind: 'permanent' });
  });
});
