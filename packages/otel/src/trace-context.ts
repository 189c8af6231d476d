import { createTraceState, isSpanContextValid, type SpanContext, TraceFlags } from '@opentelemetry/api';
import type { TraceContext } from '@baton/core';

const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;

/** A stored W3C trace context as OpenTelemetry's remote span context, or `undefined` if it is not valid. */
export function spanContextOf(trace: TraceContext | null | undefined): SpanContext | undefined {
  if (trace === null || trace === undefined) return undefined;
  const m = TRACEPARENT.exec(trace.traceparent);
  if (m === null || m[1] === 'ff') return undefined;
  const context: SpanContext = {
    traceId: m[2]!,
    spanId: m[3]!,
    traceFlags: Number.parseInt(m[4]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
    ...(trace.tracestate === undefined ? {} : { traceState: createTraceState(trace.tracestate) }),
  };
  return isSpanContextValid(context) ? context : undefined;
}

/** A span's context as the W3C trace context Baton stores on a job, or `undefined` for an invalid (no-op) one. */
export function traceContextOf(context: SpanContext): TraceContext | undefined {
  if (!isSpanContextValid(context)) return undefined;
  const traceparent = `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
  const tracestate = context.traceState?.serialize();
  return tracestate === undefined || tracestate === '' ? { traceparent } : { traceparent, tracestate };
}
