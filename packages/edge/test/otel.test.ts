import { env } from 'cloudflare:workers';
import type { JobRecord } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { schedulerStub } from '../src/index.ts';
import type { SpanSummary } from './worker.ts';

// @baton/otel inside a Durable Object (workerd): a job submitted with a
// caller's trace context, retried once, with a durable step.
describe('OpenTelemetry in a Durable Object (workerd)', () => {
  it('emits the submit, each attempt and the step, in the caller’s trace', async () => {
    const stub = schedulerStub(env.TRACED, 'acme/default');
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const submitted = await stub.submit([{ type: 'charge', payload: { order: 'o-9' }, trace: { traceparent } }]);
    if (!submitted.ok) throw new Error(submitted.error.message);
    const id = submitted.value[0]!.job.id;
    const done = await stub.waitFor(id);
    expect(done.ok && (done.value as JobRecord).state).toBe('succeeded');
    const spans = await (stub as unknown as { spans(): Promise<SpanSummary[]> }).spans();
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set(['4bf92f3577b34da6a3ce929d0e0e4736']));
    const submit = spans.find((s) => s.name === 'submit default')!;
    expect(submit.parentSpanId).toBe('00f067aa0ba902b7');
    expect(submit.attributes).toMatchObject({ 'messaging.system': 'baton', 'messaging.destination.name': 'default', 'messaging.message.id': id });
    const attempts = spans.filter((s) => s.name === 'process default');
    expect(attempts.map((s) => [s.attributes['baton.job.attempt'], s.attributes['baton.job.outcome'], s.parentSpanId])).toEqual([
      [1, 'retry', '00f067aa0ba902b7'],
      [2, 'succeeded', '00f067aa0ba902b7'],
    ]);
    // The step ran once, in the first attempt; the second read its stored result.
    const steps = spans.filter((s) => s.name === 'step reserve');
    expect(steps.map((s) => s.parentSpanId)).toEqual([attempts[0]!.spanId]);
  });
});
