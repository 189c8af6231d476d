/**
 * What tracing costs on the scheduler's hot path: the core benchmark's
 * Baton (no-op jobs, submit → run → complete, memory store) without
 * instrumentation, with `@baton/otel` and no provider registered (the API's
 * no-op tracer and meter), and with an SDK tracer provider (batched spans
 * to an exporter that keeps only a count: in memory, no I/O) and a meter
 * provider, in the same process, interleaved, medians of several runs.
 */
import { otel } from '@baton/otel';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { batonWith, type Config } from './core-throughput.ts';
import { median, range } from './lib/stats.ts';

/** Keeps a count of the spans it is handed, and nothing else. */
class CountingExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    this.spans += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

class Reader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface OtelRow {
  readonly variant: string;
  readonly nsPerJob: number;
  readonly rangeNsPerJob: [number, number];
  /** Median over runs of this variant's time / the same run's uninstrumented time, minus 1 (for the SDK alone: its time / that time). */
  readonly overhead: number | null;
  readonly spans: number;
}

/**
 * The SDK's own cost per job, with no scheduler: the spans and records
 * `@baton/otel` makes for one job (a submit span, an attempt span under it
 * with the same attributes, three histogram records: wait, run, end to end),
 * made `jobs` times in a loop. Returns elapsed ms.
 */
async function sdkAlone(jobs: number): Promise<number> {
  const exporter = new CountingExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter, maxQueueSize: 65_536, maxExportBatchSize: 4_096 })] });
  const meterProvider = new MeterProvider({ readers: [new Reader()] });
  const tracer = tracerProvider.getTracer('floor');
  const meter = meterProvider.getMeter('floor');
  const histogram = meter.createHistogram('h');
  const attrs = { 'messaging.system': 'baton', 'baton.job.type': 'noop', 'messaging.destination.name': 'default' };
  const started = performance.now();
  for (let i = 0; i < jobs; i++) {
    const submit = tracer.startSpan(
      'submit default',
      { kind: SpanKind.PRODUCER, attributes: { ...attrs, 'messaging.operation.type': 'send', 'messaging.operation.name': 'submit' } },
      ROOT_CONTEXT,
    );
    submit.setAttribute('messaging.message.id', `job-${i}`);
    const parent = trace.setSpan(ROOT_CONTEXT, submit);
    const attempt = tracer.startSpan(
      'process default',
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          ...attrs,
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.message.id': `job-${i}`,
          'baton.job.attempt': 1,
          'baton.job.priority': 2,
        },
      },
      parent,
    );
    attempt.setAttribute('baton.job.outcome', 'succeeded');
    submit.end();
    attempt.end();
    histogram.record(0.001, attrs);
    histogram.record(0.001, attrs);
    histogram.record(0.001, attrs);
    // Let the batch processor's timer and exports run, as they do between the scheduler's ticks.
    if (i % 1_000 === 999) await new Promise((resolve) => setImmediate(resolve));
  }
  const elapsed = performance.now() - started;
  await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
  return elapsed;
}

export async function runOtel(config: Config, runs: number): Promise<OtelRow[]> {
  const variants = ['none', 'otel, no provider', 'otel, SDK provider', 'the SDK alone (same spans and records, no scheduler)'] as const;
  const times = new Map<string, number[]>(variants.map((v) => [v, []]));
  const ratios = new Map<string, number[]>(variants.map((v) => [v, []]));
  let spans = 0;
  for (let run = 0; run < runs; run++) {
    const base = await batonWith(config);
    times.get('none')!.push(base);
    const bare = await batonWith(config, otel());
    times.get('otel, no provider')!.push(bare);
    ratios.get('otel, no provider')!.push(bare / base - 1);
    const exporter = new CountingExporter();
    const tracerProvider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter, maxQueueSize: 65_536, maxExportBatchSize: 4_096 })] });
    const meterProvider = new MeterProvider({ readers: [new Reader()] });
    const full = await batonWith(config, otel({ tracerProvider, meterProvider }));
    await tracerProvider.forceFlush();
    spans = exporter.spans;
    times.get('otel, SDK provider')!.push(full);
    ratios.get('otel, SDK provider')!.push(full / base - 1);
    await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    const floor = await sdkAlone(config.jobs);
    times.get('the SDK alone (same spans and records, no scheduler)')!.push(floor);
    ratios.get('the SDK alone (same spans and records, no scheduler)')!.push(floor / base);
  }
  return variants.map((variant) => {
    const ns = times.get(variant)!.map((ms) => (ms * 1e6) / config.jobs);
    const r = ratios.get(variant)!;
    return {
      variant,
      nsPerJob: median(ns),
      rangeNsPerJob: range(ns),
      overhead: r.length === 0 ? null : median(r),
      spans: variant === 'otel, SDK provider' ? spans : 0,
    };
  });
}
