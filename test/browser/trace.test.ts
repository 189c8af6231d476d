import type { CollectedSpan } from '../otel-collector.ts';
import { connect, toEdge } from '@baton/browser';
import { otel } from '@baton/otel';
import { describe, expect, inject, it } from 'vitest';
import { collectorProvider } from './fixtures/collector-exporter.ts';

// One trace from a page to the edge: the page (this test), its worker over
// Comlink and IndexedDB, the outbox's delivery through a chaos proxy that
// loses the first answer (the delivery sends it again: a second submit span
// at the edge, in the same trace), the edge API, the Durable Object's job
// and its step. Every tier exports its spans to one collector.
const traced = inject('traced');

async function collected(): Promise<CollectedSpan[]> {
  return (await (await fetch(traced.collector)).json()) as CollectedSpan[];
}

describe('tracing across tiers (Chromium → wrangler dev)', () => {
  it('puts every span of page, worker and edge in one trace, the delivery sent again after a lost answer a second span of it', async () => {
    await fetch(traced.collector, { method: 'DELETE' });
    // The first submit to the edge is handled there, but its answer is lost.
    await fetch(`${traced.url}/__chaos`, { method: 'POST', body: JSON.stringify({ mode: 'up', loseNextSubmits: 1 }) });
    const pageProvider = collectorProvider(traced.collector, 'page');
    const worker = new Worker(new URL('./fixtures/traced.worker.ts', import.meta.url), {
      type: 'module',
      name: JSON.stringify({ database: `traced-${Date.now()}`, edge: { url: traced.url, token: traced.token }, collector: traced.collector }),
    });
    const baton = connect(worker, { instrumentation: otel({ tracerProvider: pageProvider }) });
    // The user's own span around the click, as an instrumented page has.
    const click = pageProvider.getTracer('the page').startSpan('click send');
    const { trace: clickTrace } = { trace: click.spanContext() };
    const { job } = await baton.submit({
      ...toEdge({ type: 'echo', payload: { text: 'hello' } }),
      trace: { traceparent: `00-${clickTrace.traceId}-${clickTrace.spanId}-01` },
    });
    click.end();
    const done = await baton.waitFor(job);
    expect(done.state).toBe('succeeded');
    expect((done.result as { result: string; deduplicated: boolean }).result).toBe('HELLO');
    expect((done.result as { deduplicated: boolean }).deduplicated).toBe(true); // the lost answer's job, found again
    const chaos = (await (await fetch(`${traced.url}/__chaos`)).json()) as { stats: { lostAnswers: number } };
    expect(chaos.stats.lostAnswers).toBe(1);

    // Spans arrive as each tier exports them.
    let spans: CollectedSpan[] = [];
    await expect
      .poll(
        async () => {
          spans = await collected();
          return spans.filter((s) => s.source === 'edge' && s.name === 'step effect').length;
        },
        { timeout: 10_000 },
      )
      .toBe(1);
    const traceIds = new Set(spans.map((s) => s.traceId));
    expect([...traceIds]).toEqual([clickTrace.traceId]);
    const names = (source: string) =>
      spans
        .filter((s) => s.source === source)
        .map((s) => s.name)
        .sort();
    expect(names('page')).toEqual(['click send', 'submit default']);
    // The worker: its submit, and the outbox's delivery (one attempt: the lost answer was sent again within it).
    expect(names('worker')).toEqual(['process default', 'submit default']);
    // The edge: a submit per delivery that reached it (the second found the first's job by its idempotency key), one run, one step.
    expect(names('edge')).toEqual(['process default', 'step effect', 'submit default', 'submit default']);

    // Parentage: the click → the page's submit and the worker's (the job carries the click's context) → the
    // delivery attempt → both edge submits and the edge run → its step.
    const one = (source: string, name: string) => spans.filter((s) => s.source === source && s.name === name);
    expect(one('page', 'submit default')[0]!.parentSpanId).toBe(clickTrace.spanId);
    expect(one('worker', 'submit default')[0]!.parentSpanId).toBe(clickTrace.spanId);
    const delivery = one('worker', 'process default')[0]!;
    expect(delivery.parentSpanId).toBe(clickTrace.spanId);
    expect(delivery.attributes).toMatchObject({ 'messaging.system': 'baton', 'baton.job.type': 'edge', 'baton.job.outcome': 'succeeded' });
    expect(one('edge', 'submit default').map((s) => s.parentSpanId)).toEqual([delivery.spanId, delivery.spanId]);
    const run = one('edge', 'process default')[0]!;
    expect(run.parentSpanId).toBe(delivery.spanId);
    expect(one('edge', 'step effect')[0]!.parentSpanId).toBe(run.spanId);
    expect(run.attributes).toMatchObject({ 'messaging.system': 'baton', 'baton.job.type': 'echo', 'baton.job.outcome': 'succeeded' });
    baton.close();
    worker.terminate();
  }, 60_000);
});
