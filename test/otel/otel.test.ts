/**
 * `@baton/otel` over the core on the fake clock, with the OpenTelemetry SDK's
 * in-memory exporter and a metric reader: the spans a retried job with
 * steps, a graph and a dead-lettered job leave, their attributes, one trace
 * from submit to steps, and instrument values equal to `metrics()`.
 */
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AggregationTemporality, type CollectionResult, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { type JobContext, JobError, MemoryStore } from '@baton/core';
import { Rig, type StoreHarness } from '@baton/core/testing';
import { otel } from '@baton/otel';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const memory: StoreHarness = { open: async () => new MemoryStore(), reopen: async (store) => store };

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const exporter = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});
beforeEach(() => exporter.reset());

/** The sum of a counter's points (all attribute sets), or of the points matching `where`. */
function sum(result: CollectionResult, name: string, where: (attrs: Record<string, unknown>) => boolean = () => true): number {
  let total = 0;
  for (const scope of result.resourceMetrics.scopeMetrics)
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      for (const point of metric.dataPoints) if (where(point.attributes)) total += typeof point.value === 'number' ? point.value : point.value.count;
    }
  return total;
}

const byName = (spans: readonly ReadableSpan[], name: string) => spans.filter((s) => s.name === name);

/** Spans export asynchronously (SDK 3): what has ended, once exported. */
async function finished(): Promise<ReadableSpan[]> {
  await tracerProvider.forceFlush();
  return exporter.getFinishedSpans();
}

describe('@baton/otel', () => {
  it('traces a retried job with steps: one trace, a producer span, a consumer span per attempt, a span per step run', async () => {
    let runs = 0;
    const userTracer = tracerProvider.getTracer('the user');
    const rig = await Rig.create(memory, {
      instrumentation: otel({ tracerProvider }),
      retry: { maxAttempts: 3, backoff: { kind: 'constant', delayMs: 100 } },
      handlers: {
        charge: async (_: null, ctx: JobContext) => {
          await ctx.step('reserve', () => 'r-1');
          // The user's own span, inside the handler: it nests under the attempt.
          await userTracer.startActiveSpan('user work', async (span) => {
            await Promise.resolve();
            span.end();
          });
          if (++runs === 1) throw new Error('flaky downstream');
          return ctx.step('capture', () => 'c-1');
        },
      },
    });
    rig.scheduler.start();
    const { job } = await rig.scheduler.submit({ type: 'charge', key: 'order-7' });
    await rig.advance(1_000);
    expect((await rig.store.get(job.id))?.state).toBe('succeeded');
    await rig.close();

    const spans = await finished();
    const [submit] = byName(spans, 'submit default');
    expect(submit?.kind).toBe(SpanKind.PRODUCER);
    expect(submit?.attributes).toMatchObject({
      'messaging.system': 'baton',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'default',
      'baton.job.type': 'charge',
      'messaging.message.id': job.id,
    });
    const traceId = submit!.spanContext().traceId;
    expect((await rig.store.get(job.id))?.trace?.traceparent).toBe(`00-${traceId}-${submit!.spanContext().spanId}-01`);

    const attempts = byName(spans, 'process default');
    expect(attempts.map((s) => s.attributes['baton.job.attempt'])).toEqual([1, 2]);
    for (const a of attempts) {
      expect(a.kind).toBe(SpanKind.CONSUMER);
      expect(a.spanContext().traceId).toBe(traceId);
      expect(a.parentSpanContext?.spanId).toBe(submit!.spanContext().spanId);
      expect(a.attributes).toMatchObject({
        'messaging.system': 'baton',
        'messaging.operation.type': 'process',
        'messaging.message.id': job.id,
        'baton.job.type': 'charge',
        'baton.job.key': 'order-7',
        'baton.job.priority': 2,
      });
    }
    expect(attempts[0]!.attributes).toMatchObject({ 'baton.job.outcome': 'retry', 'error.type': 'Error', 'baton.failure.kind': 'transient' });
    // The backoff drawn (constant 100 ms, with the default full jitter).
    expect(attempts[0]!.attributes['baton.retry.delay_ms']).toBeGreaterThan(0);
    expect(attempts[0]!.attributes['baton.retry.delay_ms']).toBeLessThanOrEqual(100);
    expect(attempts[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(attempts[1]!.attributes['baton.job.outcome']).toBe('succeeded');
    expect(attempts[1]!.status.code).toBe(SpanStatusCode.UNSET);

    // The reserve step ran once (the retry found its result stored); capture ran in attempt 2.
    const steps = spans.filter((s) => s.name.startsWith('step '));
    expect(steps.map((s) => [s.name, s.parentSpanContext?.spanId])).toEqual([
      ['step reserve', attempts[0]!.spanContext().spanId],
      ['step capture', attempts[1]!.spanContext().spanId],
    ]);
    const user = byName(spans, 'user work');
    expect(user.map((s) => s.parentSpanContext?.spanId)).toEqual(attempts.map((a) => a.spanContext().spanId));
  });

  it('traces a graph as one submit, and a dead-lettered job as an error', async () => {
    const rig = await Rig.create(memory, {
      instrumentation: otel({ tracerProvider }),
      handlers: {
        fetch: async () => 1,
        index: async () => {
          throw JobError.nonRetryable('no such page', { code: 'no-such-page' });
        },
      },
    });
    rig.scheduler.start();
    const [a, b] = await rig.scheduler.submitAll([
      { ref: 'a', type: 'fetch' },
      { type: 'index', dependsOn: ['a'] },
    ]);
    await rig.advance(100);
    await rig.close();
    const spans = await finished();
    const [submit] = byName(spans, 'submit default');
    expect(submit?.attributes['messaging.batch.message_count']).toBe(2);
    const attempts = byName(spans, 'process default');
    expect(attempts.map((s) => s.attributes['messaging.message.id'])).toEqual([a!.job.id, b!.job.id]);
    for (const s of attempts) expect(s.parentSpanContext?.spanId).toBe(submit!.spanContext().spanId);
    expect(attempts[1]!.attributes).toMatchObject({ 'baton.job.outcome': 'failed', 'error.type': 'no-such-page', 'baton.failure.kind': 'permanent' });
    expect(attempts[1]!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no such page' });
  });

  it('continues the trace a job was submitted with (from a page, or the edge API’s traceparent)', async () => {
    const rig = await Rig.create(memory, { instrumentation: otel({ tracerProvider }), handlers: { work: async () => null } });
    rig.scheduler.start();
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await rig.scheduler.submit({ type: 'work', trace: { traceparent, tracestate: 'congo=t61rcWkgMzE' } });
    await rig.advance(10);
    await rig.close();
    const spans = await finished();
    for (const s of spans) expect(s.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(byName(spans, 'submit default')[0]?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(byName(spans, 'process default')[0]?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  });

  it('counts what metrics() counts: submitted, succeeded, failed, retried, and depth per state', async () => {
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const telemetry = otel({ tracerProvider, meterProvider });
    let n = 0;
    const rig = await Rig.create(memory, {
      instrumentation: telemetry,
      retry: { maxAttempts: 2, backoff: { kind: 'constant', delayMs: 50 } },
      handlers: {
        work: async (p: { fail: 'never' | 'once' | 'always' }) => {
          n++;
          if (p.fail === 'always' || (p.fail === 'once' && n % 2 === 1)) throw new Error('no');
          return n;
        },
        later: async () => null,
      },
    });
    rig.scheduler.start();
    telemetry.observe(rig.scheduler);
    await rig.scheduler.submitAll([
      { type: 'work', payload: { fail: 'never' } },
      { type: 'work', payload: { fail: 'once' } },
      { type: 'work', payload: { fail: 'always' } },
      { type: 'work', payload: { fail: 'never' } },
    ]);
    await rig.scheduler.submit({ type: 'later', delayMs: 60_000 });
    await rig.advance(1_000);
    const m = await rig.scheduler.metrics();
    const result = await reader.collect();
    await rig.close();
    expect(result.errors).toEqual([]);
    expect(sum(result, 'baton.jobs.submitted')).toBe(m.counts.submitted);
    expect(sum(result, 'baton.jobs.retried')).toBe(m.counts.retried);
    expect(sum(result, 'baton.jobs.succeeded')).toBe(m.byType.work!.succeeded);
    expect(sum(result, 'baton.jobs.failed')).toBe(m.byType.work!.failed);
    expect(m.counts.retried).toBeGreaterThan(0);
    for (const state of ['scheduled', 'succeeded', 'failed'] as const) {
      expect(sum(result, 'baton.jobs.depth', (a) => a['baton.job.state'] === state)).toBe(m.depth[state].total);
    }
    // Every attempt's run time, and each wait, recorded once.
    expect(sum(result, 'messaging.process.duration')).toBe(m.runLatency.count);
    expect(sum(result, 'baton.job.wait.duration')).toBe(m.waitLatency.count);
  });

  it('with no provider registered, records nothing and stores no trace context', async () => {
    const rig = await Rig.create(memory, { instrumentation: otel(), handlers: { work: async () => null } });
    rig.scheduler.start();
    const { job } = await rig.scheduler.submit({ type: 'work' });
    await rig.advance(10);
    expect((await rig.store.get(job.id))?.state).toBe('succeeded');
    expect((await rig.store.get(job.id))?.trace).toBeNull();
    await rig.close();
    expect(await finished()).toEqual([]);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
