import { DurableObject } from 'cloudflare:workers';
import { JobError, type Handlers } from '@baton/core';
import { otel } from '@baton/otel';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { AlarmClock, createApi, type EdgeLimits, type EdgeSchedulerOptions, SchedulerObject } from '../src/index.ts';
import type { ChaosEnv } from '../../../test/chaos/edge-objects.ts';

// The chaos suite's objects (test/chaos/edge.chaos.test.ts).
export { ChaosJobs, ChaosLedger } from '../../../test/chaos/edge-objects.ts';

export interface Env extends ChaosEnv {
  CONFORMANCE: DurableObjectNamespace<ConformanceObject>;
  JOBS: DurableObjectNamespace<TestJobs>;
  LIMITED: DurableObjectNamespace<LimitedJobs>;
  TRACED: DurableObjectNamespace<TracedJobs>;
  BATON_TOKENS: string;
}

/** An empty object: the conformance suite runs inside it, on its storage. */
export class ConformanceObject extends DurableObject<Env> {}

/**
 * A scheduler object for integration tests. Its clock is wall time plus an
 * offset kept in storage, so a test moves time forward without sleeping.
 */
export class TestJobs extends SchedulerObject<Env> {
  static readonly effects: string[] = [];

  protected override configure(): EdgeSchedulerOptions<Handlers> {
    return {
      leaseMs: 60_000,
      retry: { maxAttempts: 3, backoff: { kind: 'constant', delayMs: 1_000 } },
      handlers: {
        echo: async (p: { text: string }) => p.text,
        approve: async (_p: null, ctx) => ctx.waitForSignal('verdict', { timeoutMs: 60_000 }),
        fanout: async (p: { n: number }, ctx) => {
          const ids = await ctx.spawn(Array.from({ length: p.n }, (_, i) => ({ type: 'echo', payload: { text: String(i) } })));
          return (await ctx.join(ids)).filter((r) => r.state === 'succeeded').length;
        },
        sleep: async (p: { ms: number }) => new Promise((resolve) => setTimeout(() => resolve(p.ms), p.ms)),
        hang: () => new Promise(() => {}),
        charge: async (p: { order: string }, ctx) => {
          await ctx.step('charge', () => {
            this.ctx.storage.sql.exec('INSERT INTO effects (what) VALUES (?)', `charge ${p.order}`);
            return null;
          });
          if (ctx.attempt === 1) return new Promise(() => {}); // the object is reset here
          return `charged ${p.order}`;
        },
        broken: async () => {
          throw JobError.nonRetryable('broken on purpose');
        },
      },
    };
  }

  protected override createClock(): AlarmClock {
    this.ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS clock (offset_ms REAL NOT NULL)');
    this.ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS effects (what TEXT NOT NULL)');
    return new AlarmClock(this.ctx.storage, () => Date.now() + this.offsetMs());
  }

  private offsetMs(): number {
    return (this.ctx.storage.sql.exec<{ offset_ms: number }>('SELECT offset_ms FROM clock').toArray()[0]?.offset_ms ?? 0) as number;
  }

  /** Moves this object's time forward; the alarm is then run by the test. */
  async advance(ms: number): Promise<number> {
    const next = this.offsetMs() + ms;
    this.ctx.storage.sql.exec('DELETE FROM clock');
    this.ctx.storage.sql.exec('INSERT INTO clock (offset_ms) VALUES (?)', next);
    return next;
  }

  /** A schedule on this object (schedules are not over the API yet): a cron expression, every minute. */
  async scheduleEveryMinute(id: string): Promise<number | null> {
    return (await this.scheduler.schedule({ id, cron: '0 * * * * *', timezone: 'Europe/Berlin', job: { type: 'echo', payload: { text: id } } })).nextAtMs;
  }

  async nextOccurrences(): Promise<Array<number | null>> {
    return (await this.scheduler.schedules()).map((s) => s.nextAtMs);
  }

  async effects(): Promise<string[]> {
    return this.ctx.storage.sql
      .exec<{ what: string }>('SELECT what FROM effects')
      .toArray()
      .map((r) => r.what);
  }
}

/** A scheduler object with tight limits, to see each refusal: 2 requests a second (burst 3), one event stream, no storage room once `full`. */
export class LimitedJobs extends SchedulerObject<Env> {
  protected override configure(): EdgeSchedulerOptions<Handlers> {
    return { handlers: { echo: async (p: { text: string }) => p.text } };
  }

  protected override limits(): EdgeLimits {
    return { requestsPerSecond: 2, burst: 3, maxEventStreams: 1, heartbeatMs: 50, maxStorageBytes: 1 };
  }
}

/** A span as the tracing test reads it back from the object. */
export interface SpanSummary {
  readonly name: string;
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly attributes: Record<string, unknown>;
}

/** A scheduler object with `@baton/otel`, its spans kept in memory for the test to read (`spans()`). */
export class TracedJobs extends SchedulerObject<Env> {
  // Set in configure(), which the base class's constructor calls before this class's fields would be.
  declare private exporter: InMemorySpanExporter;
  declare private provider: TracerProvider;

  protected override configure(): EdgeSchedulerOptions<Handlers> {
    this.exporter = new InMemorySpanExporter();
    this.provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: this.exporter })] });
    return {
      instrumentation: otel({ tracerProvider: this.provider }),
      retry: { maxAttempts: 2, backoff: { kind: 'constant', delayMs: 10 } },
      handlers: {
        charge: async (p: { order: string }, ctx) => {
          const id = await ctx.step('reserve', () => `r-${p.order}`);
          if (ctx.attempt === 1) throw new Error('the payment service is flaky');
          return id;
        },
      },
    };
  }

  async spans(): Promise<SpanSummary[]> {
    await this.provider.forceFlush();
    return this.exporter.getFinishedSpans().map((s) => ({
      name: s.name,
      kind: s.kind,
      traceId: s.spanContext().traceId,
      spanId: s.spanContext().spanId,
      parentSpanId: s.parentSpanContext?.spanId ?? null,
      attributes: { ...s.attributes },
    }));
  }
}

const api = createApi<Env>({
  objects: (env) => env.JOBS,
  tokens: (env) => env.BATON_TOKENS,
  queues: ['default', 'emails'],
  maxBodyBytes: 4096,
  corsOrigins: ['https://app.test'],
});

export default { fetch: (request, env, ctx) => api.fetch(request, env, ctx) } satisfies ExportedHandler<Env>;
