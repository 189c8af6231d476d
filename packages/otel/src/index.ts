/**
 * OpenTelemetry for Baton. `otel()` gives a scheduler's `instrumentation`:
 * spans for submits, attempts and steps after the messaging conventions,
 * and counters and histograms fed by its events. It uses the global tracer
 * and meter providers unless given its own; with none registered, the API
 * hands out no-op spans and instruments, and nothing is recorded.
 *
 * @example
 * import { otel } from '@baton/otel';
 * const telemetry = otel();
 * const scheduler = createScheduler({ handlers, store, instrumentation: telemetry });
 * telemetry.observe(scheduler); // gauges: depth per state, breakers, congestion
 *
 * @module
 */
import { createNoopMeter, type Meter, type MeterProvider, metrics, type TracerProvider, trace } from '@opentelemetry/api';
import type { AttemptTrace, Instrumentation, JobRecord, MetricsSnapshot, SchedulerEvent, SubmittedJob, TraceContext } from '@baton/core';
import { Instruments, observeSnapshots } from './metrics.ts';
import { Tracing } from './tracing.ts';

export { Attr, SYSTEM } from './attributes.ts';
export { spanContextOf, traceContextOf } from './trace-context.ts';

const NAME = '@baton/otel';
const VERSION = '0.2.0';

export interface OtelOptions {
  /** @default the global tracer provider (`trace.setGlobalTracerProvider`, or an SDK's `register()`) */
  readonly tracerProvider?: TracerProvider;
  /** @default the global meter provider */
  readonly meterProvider?: MeterProvider;
}

/** The scheduler's `instrumentation`, plus `observe` for gauges that read its `metrics()`. */
export interface OtelInstrumentation extends Required<Pick<Instrumentation, 'currentTrace' | 'submit' | 'attempt' | 'step'>> {
  /** Counts events into the instruments; absent when the meter provider is the API's no-op. */
  event?: (event: SchedulerEvent) => void;
  /**
   * Observes `scheduler.metrics()` at each metric collection: depth per
   * state and priority, breakers, congestion. Returns a function that stops.
   */
  observe(scheduler: { metrics(): Promise<MetricsSnapshot> }, options?: { readonly queue?: string }): () => void;
}

export function otel(options: OtelOptions = {}): OtelInstrumentation {
  const tracing = new Tracing(options.tracerProvider ?? trace.getTracerProvider(), NAME, VERSION);
  const meter: Meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(NAME, VERSION);
  // The API's global meter provider has no proxy: a meter taken before an SDK registers stays a no-op. Then
  // there is nothing to count, and the scheduler need not hand over its events at all.
  const counting = !(meter instanceof NOOP_METER);
  const instruments = counting ? new Instruments(meter) : null;
  const hooks: OtelInstrumentation = {
    currentTrace: (): TraceContext | undefined => tracing.currentTrace(),
    submit: <T>(jobs: ReadonlyArray<SubmittedJob>, run: () => Promise<T>): Promise<T> => tracing.submit(jobs, run),
    attempt: (job: JobRecord): AttemptTrace | undefined => tracing.attempt(job),
    step: <T>(job: JobRecord, name: string, run: () => Promise<T>): Promise<T> => tracing.step(job, name, run),
    observe: (scheduler, observeOptions = {}) => observeSnapshots(meter, () => scheduler.metrics(), observeOptions.queue ?? 'default'),
  };
  if (instruments !== null) hooks.event = (event: SchedulerEvent): void => instruments.event(event);
  return hooks;
}

/** The API's no-op meter class. */
const NOOP_METER = createNoopMeter().constructor as new () => Meter;
