import type { Failure, JobRecord, TraceContext } from './job.ts';
import type { SchedulerEvent } from './events.ts';

/** How an attempt ended, as a trace records it. */
export interface AttemptEnd {
  /** `succeeded`, `retry` (with its delay), `failed`, `parked` (offline), or `abandoned` (cancelled, preempted, stopped). */
  readonly outcome: 'succeeded' | 'retry' | 'failed' | 'parked' | 'sleeping' | 'abandoned';
  readonly failure: Failure | null;
  readonly retryDelayMs: number | null;
}

/** A job as submitted, as far as a submit's span reads it (unchecked: the submit may yet be refused). */
export interface SubmittedJob {
  readonly type: string;
  readonly queue?: string;
  readonly trace?: TraceContext;
}

/** One attempt's trace, opened when its handler starts. */
export interface AttemptTrace {
  /** The attempt's own trace context, which the handler passes on to work it hands elsewhere (`ctx.trace`). */
  readonly context?: TraceContext | undefined;
  /** Runs the handler inside the attempt's context, so what it calls (a `fetch`) nests under it. */
  wrap<T>(run: () => Promise<T>): Promise<T>;
  end(end: AttemptEnd): void;
}

/**
 * Hooks for tracing, metrics and logs bridges (OpenTelemetry's is
 * `@baton/otel`). The core calls them and depends on nothing: without
 * them, nothing is done and nothing costs. Each is optional.
 */
export interface Instrumentation {
  /** The trace context to store on a job submitted without one (the caller's current span), if any. */
  currentTrace?(): TraceContext | undefined;
  /**
   * Around a submit: the producer's span, parented to the first job's
   * `trace` when it has one. `currentTrace`, called inside `run`, names it.
   */
  submit?<T>(jobs: ReadonlyArray<SubmittedJob>, run: () => Promise<T>): Promise<T>;
  /** An attempt starts: its span, parented to or linked with the job's stored trace context. */
  attempt?(job: JobRecord): AttemptTrace | undefined;
  /** Around one `ctx.step`. */
  step?<T>(job: JobRecord, name: string, run: () => Promise<T>): Promise<T>;
  /** Every event, once its tick has committed: counters count them. */
  event?(event: SchedulerEvent): void;
}
