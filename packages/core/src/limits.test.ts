import { describe, expect, it } from 'vitest';
import { isBatonError } from './errors.ts';
import { LIMITS } from './limits.ts';
import { MemoryStore } from './memory-store.ts';
import { createScheduler } from './scheduler.ts';
import { FakeClock } from './testing/fake-clock.ts';
import { SeededRandom } from './testing/seeded-random.ts';

const clock = new FakeClock();
const scheduler = createScheduler({ store: new MemoryStore(), clock, random: new SeededRandom(), handlers: { work: async () => null }, autoStart: false });

/** The field a refused submit names, or 'accepted'. */
async function refusal(input: Record<string, unknown>): Promise<string> {
  try {
    await scheduler.submit({ type: 'work', ...input } as never);
    return 'accepted';
  } catch (error) {
    if (!isBatonError(error, 'validation')) throw error;
    return (error as unknown as { field: string }).field;
  }
}

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('the limits every submit is held to', () => {
  it('refuses a payload nested past the depth limit without overflowing the stack, however deep', async () => {
    expect(await refusal({ payload: nested(LIMITS.jsonDepth - 1) })).toBe('accepted');
    expect(await refusal({ payload: nested(LIMITS.jsonDepth + 1) })).toBe('job.payload');
    expect(await refusal({ payload: nested(200_000) })).toBe('job.payload'); // recursion would have overflowed
  });

  it('refuses a payload larger than the size limit', async () => {
    expect(await refusal({ payload: 'x'.repeat(LIMITS.jsonBytes) })).toBe('job.payload');
    expect(await refusal({ payload: Array.from({ length: LIMITS.jsonBytes / 8 }, () => 1) })).toBe('job.payload');
  });

  it('bounds counts: tags, dependencies and jobs per batch', async () => {
    expect(await refusal({ tags: Array.from({ length: LIMITS.tags + 1 }, (_, i) => `t${i}`) })).toBe('job.tags');
    expect(await refusal({ tags: ['x'.repeat(LIMITS.tagChars + 1)] })).toBe('job.tags[0]');
    expect(await refusal({ dependsOn: Array.from({ length: LIMITS.dependsOn + 1 }, (_, i) => `d${i}`) })).toBe('job.dependsOn');
    const batch = await scheduler.submitAll(Array.from({ length: LIMITS.batch + 1 }, () => ({ type: 'work' as const }))).catch((e: unknown) => e);
    expect(isBatonError(batch, 'validation')).toBe(true);
  });

  it('holds every duration and time to its range', async () => {
    for (const field of ['delayMs', 'timeoutMs', 'leaseMs', 'idempotencyTtlMs']) {
      expect(await refusal({ [field]: 1e308 })).toBe(`job.${field}`);
      expect(await refusal({ [field]: LIMITS.durationMs + 1 })).toBe(`job.${field}`);
    }
    expect(await refusal({ runAtMs: clock.now() + LIMITS.horizonMs + 1 })).toBe('job.runAtMs');
    expect(await refusal({ deadlineAtMs: 1e308 })).toBe('job.deadlineAtMs');
    expect(await refusal({ retry: { maxAttempts: 1e15 } })).toBe('job.retry.maxAttempts');
    expect(await refusal({ retry: { maxAttempts: LIMITS.maxAttempts } })).toBe('accepted');
    expect(await refusal({ retry: { backoff: { delayMs: 1e308 } } })).toBe('job.retry.backoff.delayMs');
    expect(await refusal({ retry: { backoff: { factor: 1e9 } } })).toBe('job.retry.backoff.factor');
  });

  it('takes trace context only as W3C strings', async () => {
    const traceparent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    expect(await refusal({ trace: { traceparent, tracestate: 'vendor=1' } })).toBe('accepted');
    expect(await refusal({ trace: { traceparent, tracestate: { nested: true } } })).toBe('job.trace.tracestate');
    expect(await refusal({ trace: { traceparent, tracestate: 'x'.repeat(LIMITS.tracestateChars + 1) } })).toBe('job.trace.tracestate');
    expect(await refusal({ trace: { traceparent, extra: 1 } })).toBe('job.trace.extra');
  });

  it('shows a bad value in its message without echoing all of it', async () => {
    const error = await scheduler.submit({ type: 'work', queue: 'q'.repeat(60_000) } as never).catch((e: Error) => e);
    expect((error as Error).message.length).toBeLessThan(400);
    expect((error as Error).message).toContain('(60002 characters)');
  });
});
