import {
  type Attributes,
  context,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { AttemptEnd, AttemptTrace, JobRecord, SubmittedJob, TraceContext } from '@baton/core';
import { Attr, SYSTEM } from './attributes.ts';
import { spanContextOf, traceContextOf } from './trace-context.ts';

/**
 * Spans for a scheduler: `submit <queue>` (producer) around each submit,
 * `process <queue>` (consumer) around each attempt, parented to the trace
 * context stored on the job, and `step <name>` around each `ctx.step`.
 *
 * Nothing here needs a context manager: the attempt's span is found by job
 * id, and a submit's span is named by `currentTrace` while the submit is
 * prepared. With one (Node's AsyncLocalStorage, a browser's zone), the
 * handler also runs inside its attempt's context, so a user's own
 * instrumented `fetch` nests under it.
 */
export class Tracing {
  private readonly tracer: Tracer;
  /** Whether spans can record: always with a given provider; with the global one, once an SDK has registered. */
  private live: () => boolean;
  /** Attempts running, by job id: a step's span is their child. */
  private readonly attempts = new Map<string, Span>();
  /** The submit being prepared (synchronously, inside `submit`). */
  private submitting: Span | undefined;

  constructor(provider: TracerProvider, name: string, version: string) {
    this.tracer = provider.getTracer(name, version);
    if (provider instanceof ProxyTracerProvider) {
      // No SDK yet: the API would hand out no-op spans, at a cost per job. Look again until one registers.
      this.live = () => {
        if (provider.getDelegateTracer(name, version) === undefined) return false;
        this.live = () => true;
        return true;
      };
    } else this.live = () => true;
  }

  currentTrace(): TraceContext | undefined {
    const span = this.submitting ?? trace.getActiveSpan();
    return span === undefined ? undefined : traceContextOf(span.spanContext());
  }

  submit<T>(jobs: ReadonlyArray<SubmittedJob>, run: () => Promise<T>): Promise<T> {
    if (!this.live()) return run();
    const first = jobs[0];
    const queue = typeof first?.queue === 'string' ? first.queue : 'default';
    const stored = spanContextOf(first?.trace);
    const parent = stored === undefined ? context.active() : trace.setSpanContext(ROOT_CONTEXT, stored);
    const attributes: Attributes = {
      [Attr.system]: SYSTEM,
      [Attr.operationType]: 'send',
      [Attr.operationName]: 'submit',
      [Attr.destination]: queue,
    };
    if (jobs.length > 1) attributes[Attr.batchCount] = jobs.length;
    else if (typeof first?.type === 'string') attributes[Attr.type] = first.type;
    const span = this.tracer.startSpan(`submit ${queue}`, { kind: SpanKind.PRODUCER, attributes }, parent);
    let result: Promise<T>;
    const outer = this.submitting;
    this.submitting = span;
    try {
      result = context.with(trace.setSpan(parent, span), run);
    } catch (error) {
      endWithError(span, error);
      throw error;
    } finally {
      this.submitting = outer;
    }
    return result.then(
      (value) => {
        if (Array.isArray(value) && value.length === 1) {
          const job = (value[0] as { job?: { id?: unknown } }).job;
          if (typeof job?.id === 'string') span.setAttribute(Attr.messageId, job.id);
        }
        span.end();
        return value;
      },
      (error: unknown) => {
        endWithError(span, error);
        throw error;
      },
    );
  }

  attempt(job: JobRecord): AttemptTrace | undefined {
    if (!this.live()) return undefined;
    const stored = spanContextOf(job.trace);
    const parent = stored === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, stored);
    const attributes: Attributes = {
      [Attr.system]: SYSTEM,
      [Attr.operationType]: 'process',
      [Attr.operationName]: 'process',
      [Attr.destination]: job.queue,
      [Attr.messageId]: job.id,
      [Attr.type]: job.type,
      [Attr.attempt]: job.attempt,
      [Attr.priority]: job.priority,
    };
    if (job.key !== null) attributes[Attr.key] = job.key;
    if (job.resource !== null) attributes[Attr.resource] = job.resource;
    const span = this.tracer.startSpan(`process ${job.queue}`, { kind: SpanKind.CONSUMER, attributes }, parent);
    this.attempts.set(job.id, span);
    const attempts = this.attempts;
    return {
      // Made when a handler asks (ctx.trace): most never do.
      get context() {
        return traceContextOf(span.spanContext());
      },
      wrap: (run) => context.with(trace.setSpan(parent, span), run),
      end: (end) => {
        if (attempts.get(job.id) === span) attempts.delete(job.id);
        endAttempt(span, end);
      },
    };
  }

  step<T>(job: JobRecord, name: string, run: () => Promise<T>): Promise<T> {
    const attempt = this.attempts.get(job.id);
    if (attempt === undefined) return run();
    const parent = trace.setSpan(context.active(), attempt);
    const span = this.tracer.startSpan(
      `step ${name}`,
      { kind: SpanKind.INTERNAL, attributes: { [Attr.step]: name, [Attr.messageId]: job.id, [Attr.type]: job.type } },
      parent,
    );
    return context.with(trace.setSpan(parent, span), run).then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        endWithError(span, error);
        throw error;
      },
    );
  }
}

function endAttempt(span: Span, end: AttemptEnd): void {
  if (span.isRecording()) {
    span.setAttribute(Attr.outcome, end.outcome);
    if (end.retryDelayMs !== null) span.setAttribute(Attr.retryDelayMs, end.retryDelayMs);
    if (end.failure !== null) {
      span.setAttribute(Attr.errorType, end.failure.code ?? end.failure.name);
      span.setAttribute(Attr.failureKind, end.failure.kind);
      span.setStatus({ code: SpanStatusCode.ERROR, message: end.failure.message });
    }
  }
  span.end();
}

function endWithError(span: Span, error: unknown): void {
  if (span.isRecording()) {
    const code = (error as { code?: unknown } | null)?.code;
    span.setAttribute(Attr.errorType, typeof code === 'string' ? code : error instanceof Error ? error.name : 'error');
    if (error instanceof Error) span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}
