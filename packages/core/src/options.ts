import type { Clock } from './clock.ts';
import { ValidationError } from './errors.ts';
import { type JobInput, JobState, type RetryOptions } from './job.ts';
import { DEFAULT_RETENTION, type ResolvedRetention, type RetentionOptions } from './retention-options.ts';
import { DEFAULT_BACKOFF } from './backoff.ts';
import type { Classifier } from './classify.ts';
import { validateResource, type ResourceOptions } from './resource.ts';
import type { BackpressureLimits } from './backpressure.ts';
import { type KeyOptions, type ResolvedKeyOptions, resolveKeyOptions } from './fair-keys.ts';
import { type ClassShares, resolveShares } from './shares.ts';
import type { CronParser } from './schedules.ts';
import type { Random } from './random.ts';
import { attemptLimitPolicy, type RetryPolicy } from './retry.ts';
import { boolean, number, resolveRetry, show, text } from './validate.ts';
import type { Instrumentation } from './instrumentation.ts';
import type { Store } from './store.ts';
import type { JobContext } from './context.ts';

export const DEFAULT_QUEUE = 'default';
export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 3, backoff: DEFAULT_BACKOFF, onTimeout: 'retry' };
export const DEFAULT_MAX_BATCH = 1000;

// biome-ignore lint/suspicious/noExplicitAny: handlers are contravariant in their payload, so the constraint must accept any payload
export type Handler<Payload = any, Result = unknown> = (payload: Payload, ctx: JobContext) => Promise<Result> | Result;
export type Handlers = Readonly<Record<string, Handler>>;

export interface QueueOptions {
  /** Jobs of this queue running at once. @default 4 */
  readonly concurrency?: number;
  /**
   * The guaranteed share of the queue's slot starts per priority class
   * while the class has ready work; what idle classes leave goes to the
   * most important waiting work. Given, it replaces the defaults whole:
   * classes left out get no guarantee. Shares sum to at most 1.
   * @default { critical: 0.4, high: 0.25, normal: 0.2, low: 0.1, background: 0.05 }
   */
  readonly shares?: ClassShares;
  /** How ready jobs of different `fairnessKey`s share the queue: per-key weights and a per-key concurrency limit. */
  readonly keys?: KeyOptions;
}

export interface ResolvedQueue {
  readonly concurrency: number;
  /** By priority. */
  readonly shares: readonly number[];
  readonly keys: ResolvedKeyOptions;
}

/**
 * Where log records go: a `{ debug, info, warn, error }` shape that
 * console, pino and most loggers fit. Each record is a message and fields;
 * records about a job carry `jobId`, `type`, `queue`, `attempt` and
 * `traceId`. The core is silent unless given one.
 */
export interface Logger {
  debug?(message: string, fields: Readonly<Record<string, unknown>>): void;
  info?(message: string, fields: Readonly<Record<string, unknown>>): void;
  warn?(message: string, fields: Readonly<Record<string, unknown>>): void;
  error(message: string, fields: Readonly<Record<string, unknown>>): void;
}

export interface SchedulerOptions<H extends Handlers> {
  readonly store: Store;
  readonly clock: Clock;
  readonly random: Random;
  /** Handler per job type. A submit of any other type is refused. */
  readonly handlers: H;
  /** Queues jobs may name. @default { default: { concurrency: 4 } } */
  readonly queues?: Readonly<Record<string, QueueOptions>>;
  /** How long a claim holds without renewal; the live scheduler renews it. @default 30000 */
  readonly leaseMs?: number;
  /** @default 86400000 (24 h) */
  readonly idempotencyTtlMs?: number;
  /** Defaults for jobs that do not set `retry`; a job's own `retry` fills in from these. @default DEFAULT_RETRY (3 attempts, exponential from 1 s with full jitter) */
  readonly retry?: JobInput['retry'];
  /** Your errors, classified before the built-in chain (Baton errors, timeouts, HTTP status). */
  readonly classify?: Classifier;
  /** Breakers, retry budgets, throttling and rate limits per `resource` a job names. */
  readonly resources?: Readonly<Record<string, ResourceOptions>>;
  /** For resources not listed in `resources`. @default {} (adaptive backoff only) */
  readonly defaultResource?: ResourceOptions;
  /** @default attemptLimitPolicy */
  readonly retryPolicy?: RetryPolicy;
  /** Keep succeeded jobs (with results) in the store. Jobs with an idempotency key are always kept. @default true */
  readonly keepSucceeded?: boolean;
  /** How long finished jobs are kept before they are deleted (bounded storage). */
  readonly retention?: RetentionOptions;
  /**
   * Backpressure: at most `maxUnfinished` jobs not finished (waiting,
   * scheduled, ready, running) in the store, `perQueue` in any one queue,
   * `perKey` of any one fairness key in a queue; a submit past one is
   * refused whole with a retryable `QueueFullError` (`queue-full`, 429 at
   * the edge) that says which and to come back after `retryAfterMs`. Give
   * at least one limit. Unset: no limit.
   */
  readonly backpressure?: {
    readonly maxUnfinished?: number;
    readonly perQueue?: number;
    readonly perKey?: number;
    readonly retryAfterMs?: number;
  };
  /** A running job with no heartbeat or progress for this long is reported as silent in metrics. @default leaseMs */
  readonly silentAfterMs?: number;
  /** Most jobs promoted or claimed in one tick. @default 1000 */
  readonly maxBatch?: number;
  /**
   * Congestion: past `readyDepth` ready jobs, low-priority retries wait
   * longer (up to 4× for background work at twice that depth) and
   * background jobs past their deadline are shed. It relaxes as the queue
   * drains. @default { readyDepth: 10000 }
   */
  readonly congestion?: { readonly readyDepth?: number };
  /** While offline, jobs that need the network are parked and tried again this often (no attempt spent). @default 5000 */
  readonly offlineRetryMs?: number;
  readonly logger?: Logger;
  /** Tracing and metrics hooks (`@baton/otel` makes them for OpenTelemetry). @default none */
  readonly instrumentation?: Instrumentation;
  /** Who runs the jobs, as each attempt's record shows it: the runtime, its version, the tab or object. @default none */
  readonly runner?: string;
  /**
   * Start processing at once. With `false`, call `start()`: until then
   * submits are stored and nothing runs. @default true
   */
  readonly autoStart?: boolean;
  /** Reads the cron expressions of schedules (`cronParser` from `@baton/core/cron`). Without it, schedules take `everyMs` only. */
  readonly cron?: CronParser;
}

export interface ResolvedOptions {
  readonly queues: ReadonlyMap<string, ResolvedQueue>;
  readonly leaseMs: number;
  readonly idempotencyTtlMs: number;
  readonly retry: RetryOptions;
  readonly retryPolicy: RetryPolicy;
  readonly classify: Classifier | undefined;
  readonly resources: ReadonlyMap<string, ResourceOptions>;
  readonly defaultResource: ResourceOptions;
  readonly keepSucceeded: boolean;
  readonly retention: ResolvedRetention;
  readonly backpressure: BackpressureLimits | null;
  readonly silentAfterMs: number;
  readonly maxBatch: number;
  readonly congestion: { readonly readyDepth: number };
  readonly offlineRetryMs: number;
  readonly logger: Logger;
  readonly autoStart: boolean;
  readonly instrumentation: Instrumentation | null;
  readonly runner: string | null;
  readonly cron: CronParser | null;
}

export function resolveOptions<H extends Handlers>(options: SchedulerOptions<H>): ResolvedOptions {
  for (const name of ['store', 'clock', 'random', 'handlers'] as const) {
    if (options[name] === null || typeof options[name] !== 'object') {
      throw new ValidationError(name, `Expected \`${name}\` to be given, got ${show(options[name])}`);
    }
  }
  for (const [type, handler] of Object.entries(options.handlers)) {
    if (typeof handler !== 'function') throw new ValidationError(`handlers.${type}`, `Expected \`handlers.${type}\` to be a function, got ${show(handler)}`);
  }
  const queues = new Map<string, ResolvedQueue>();
  for (const [name, q] of Object.entries(options.queues ?? { [DEFAULT_QUEUE]: {} })) {
    if (q === null || typeof q !== 'object') throw new ValidationError(`queues.${name}`, `Expected \`queues.${name}\` to be an object, got ${show(q)}`);
    queues.set(name, {
      concurrency: number(`queues.${name}.concurrency`, q.concurrency ?? DEFAULT_CONCURRENCY, 1, true),
      shares: resolveShares(`queues.${name}.shares`, q.shares),
      keys: resolveKeyOptions(`queues.${name}.keys`, q.keys),
    });
  }
  const leaseMs = number('leaseMs', options.leaseMs ?? DEFAULT_LEASE_MS, 1);
  return {
    queues,
    leaseMs,
    idempotencyTtlMs: number('idempotencyTtlMs', options.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS, 1),
    retry: resolveRetry('retry', options.retry, DEFAULT_RETRY),
    retryPolicy: options.retryPolicy ?? attemptLimitPolicy,
    classify: options.classify,
    resources: new Map(Object.entries(options.resources ?? {}).map(([name, r]) => [name, validResource(`resources.${name}`, r)])),
    defaultResource: options.defaultResource === undefined ? {} : validResource('defaultResource', options.defaultResource),
    keepSucceeded: options.keepSucceeded ?? true,
    retention: resolveRetention(options.retention),
    backpressure: resolveBackpressure(options.backpressure),
    silentAfterMs: number('silentAfterMs', options.silentAfterMs ?? leaseMs, 1),
    maxBatch: number('maxBatch', options.maxBatch ?? DEFAULT_MAX_BATCH, 1, true),
    congestion: { readyDepth: number('congestion.readyDepth', options.congestion?.readyDepth ?? 10_000, 1) },
    offlineRetryMs: number('offlineRetryMs', options.offlineRetryMs ?? 5_000, 1),
    logger: options.logger ?? { error: () => {} },
    autoStart: boolean('autoStart', options.autoStart ?? true),
    instrumentation: options.instrumentation ?? null,
    runner: options.runner === undefined ? null : text('runner', options.runner),
    cron: options.cron ?? null,
  };
}

function resolveBackpressure(b: SchedulerOptions<Handlers>['backpressure']): BackpressureLimits | null {
  if (b === undefined) return null;
  if (b === null || typeof b !== 'object') throw new ValidationError('backpressure', `Expected \`backpressure\` to be an object, got ${show(b)}`);
  const limit = (name: 'maxUnfinished' | 'perQueue' | 'perKey'): number | null =>
    b[name] === undefined ? null : number(`backpressure.${name}`, b[name], 1, true);
  const limits = { maxUnfinished: limit('maxUnfinished'), perQueue: limit('perQueue'), perKey: limit('perKey') };
  if (limits.maxUnfinished === null && limits.perQueue === null && limits.perKey === null) {
    throw new ValidationError('backpressure', 'Expected `backpressure` to set at least one of `maxUnfinished`, `perQueue` and `perKey`');
  }
  return { ...limits, retryAfterMs: number('backpressure.retryAfterMs', b.retryAfterMs ?? 1_000, 1) };
}

/** `o`, once `validateResource` has accepted it. */
function validResource(field: string, o: ResourceOptions): ResourceOptions {
  validateResource(field, o);
  return o;
}

function resolveRetention(r: RetentionOptions | undefined): ResolvedRetention {
  if (r === undefined) return DEFAULT_RETENTION;
  const keep = (field: 'succeededMs' | 'cancelledMs' | 'failedMs', fallback: number): number => {
    const value = r[field];
    return value === undefined ? fallback : value === Number.POSITIVE_INFINITY ? value : number(`retention.${field}`, value, 0);
  };
  const [succeeded, cancelled, failed] = DEFAULT_RETENTION.keepMs.map(([, ms]) => ms) as [number, number, number];
  return {
    keepMs: [
      [JobState.succeeded, keep('succeededMs', succeeded)],
      [JobState.cancelled, keep('cancelledMs', cancelled)],
      [JobState.failed, keep('failedMs', failed)],
    ],
    everyMs: number('retention.everyMs', r.everyMs ?? DEFAULT_RETENTION.everyMs, 1),
    batch: number('retention.batch', r.batch ?? DEFAULT_RETENTION.batch, 1, true),
  };
}
