import type { Clock } from './clock.ts';
import { ValidationError } from './errors.ts';
import { DependencyFailurePolicy, PRIORITY_LEVELS, Priority, TimeoutPolicy, type JobInput, type Json, type RetryOptions } from './job.ts';
import { DEFAULT_BACKOFF, resolveBackoff } from './backoff.ts';
import type { Classifier } from './classify.ts';
import { validateResource, type ResourceOptions } from './resource.ts';
import { assertJson } from './json.ts';
import { DEFAULT_AGING_STEP_MS } from './priority.ts';
import type { Random } from './random.ts';
import { attemptLimitPolicy, type RetryPolicy } from './retry.ts';
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
}

export interface Logger {
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
  /** Head start per priority level, in ms of readiness (see `priority.ts`). @default 15000 */
  readonly agingStepMs?: number;
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
  /** A running job with no heartbeat or progress for this long is reported as silent in metrics. @default leaseMs */
  readonly silentAfterMs?: number;
  /** Most jobs promoted or claimed in one tick. @default 1000 */
  readonly maxBatch?: number;
  /**
   * Congestion: past `readyDepth` ready jobs the scheduler favours high
   * priority more, up to full strength at twice that depth: priority credits
   * grow up to `creditMultiplier` times, low-priority retries wait up to 4×
   * longer, background jobs past their deadline are shed. It relaxes as the
   * queue drains. @default { readyDepth: 10000, creditMultiplier: 4 }
   */
  readonly congestion?: { readonly readyDepth?: number; readonly creditMultiplier?: number };
  /** While offline, jobs that need the network are parked and tried again this often (no attempt spent). @default 5000 */
  readonly offlineRetryMs?: number;
  readonly logger?: Logger;
  /**
   * Start processing at once. With `false`, call `start()`: until then
   * submits are stored and nothing runs. @default true
   */
  readonly autoStart?: boolean;
}

export interface ResolvedOptions {
  readonly queues: ReadonlyMap<string, { readonly concurrency: number }>;
  readonly agingStepMs: number;
  readonly leaseMs: number;
  readonly idempotencyTtlMs: number;
  readonly retry: RetryOptions;
  readonly retryPolicy: RetryPolicy;
  readonly classify: Classifier | undefined;
  readonly resources: ReadonlyMap<string, ResourceOptions>;
  readonly defaultResource: ResourceOptions;
  readonly keepSucceeded: boolean;
  readonly silentAfterMs: number;
  readonly maxBatch: number;
  readonly congestion: { readonly readyDepth: number; readonly creditMultiplier: number };
  readonly offlineRetryMs: number;
  readonly logger: Logger;
  readonly autoStart: boolean;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function number(field: string, value: unknown, min: number, integer = false): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || (integer && !Number.isInteger(value)) || !Number.isFinite(value)) {
    const kind = integer ? 'an integer' : 'a finite number';
    throw new ValidationError(field, `Expected \`${field}\` to be ${kind} from ${min} and up, got ${show(value)}`);
  }
  return value;
}

function text(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) {
    throw new ValidationError(field, `Expected \`${field}\` to be a non-empty string of at most 512 characters, got ${show(value)}`);
  }
  return value;
}

function boolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ValidationError(field, `Expected \`${field}\` to be a boolean, got ${show(value)}`);
  return value;
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
  const queues = new Map<string, { concurrency: number }>();
  for (const [name, q] of Object.entries(options.queues ?? { [DEFAULT_QUEUE]: {} })) {
    queues.set(name, { concurrency: number(`queues.${name}.concurrency`, q.concurrency ?? DEFAULT_CONCURRENCY, 1, true) });
  }
  const leaseMs = number('leaseMs', options.leaseMs ?? DEFAULT_LEASE_MS, 1);
  return {
    queues,
    agingStepMs: number('agingStepMs', options.agingStepMs ?? DEFAULT_AGING_STEP_MS, 0),
    leaseMs,
    idempotencyTtlMs: number('idempotencyTtlMs', options.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS, 1),
    retry: resolveRetry('retry', options.retry, DEFAULT_RETRY),
    retryPolicy: options.retryPolicy ?? attemptLimitPolicy,
    classify: options.classify,
    resources: new Map(Object.entries(options.resources ?? {}).map(([name, r]) => [name, validResource(`resources.${name}`, r)])),
    defaultResource: options.defaultResource === undefined ? {} : validResource('defaultResource', options.defaultResource),
    keepSucceeded: options.keepSucceeded ?? true,
    silentAfterMs: number('silentAfterMs', options.silentAfterMs ?? leaseMs, 1),
    maxBatch: number('maxBatch', options.maxBatch ?? DEFAULT_MAX_BATCH, 1, true),
    congestion: {
      readyDepth: number('congestion.readyDepth', options.congestion?.readyDepth ?? 10_000, 1),
      creditMultiplier: number('congestion.creditMultiplier', options.congestion?.creditMultiplier ?? 4, 1),
    },
    offlineRetryMs: number('offlineRetryMs', options.offlineRetryMs ?? 5_000, 1),
    logger: options.logger ?? { error: () => {} },
    autoStart: boolean('autoStart', options.autoStart ?? true),
  };
}

/** `o`, once `validateResource` has accepted it. */
function validResource(field: string, o: ResourceOptions): ResourceOptions {
  validateResource(field, o);
  return o;
}

function resolveRetry(field: string, input: JobInput['retry'] | undefined, defaults: RetryOptions): RetryOptions {
  if (input === undefined) return defaults;
  if (input === null || typeof input !== 'object') throw new ValidationError(field, `Expected \`${field}\` to be an object, got ${show(input)}`);
  const onTimeout = input.onTimeout ?? defaults.onTimeout;
  if (!Object.values(TimeoutPolicy).includes(onTimeout)) {
    throw new ValidationError(`${field}.onTimeout`, `Expected \`${field}.onTimeout\` to be "retry", "escalate" or "fail", got ${show(onTimeout)}`);
  }
  return {
    maxAttempts: number(`${field}.maxAttempts`, input.maxAttempts ?? defaults.maxAttempts, 1, true),
    backoff: resolveBackoff(`${field}.backoff`, input.backoff, defaults.backoff),
    onTimeout,
  };
}

const INPUT_FIELDS: ReadonlySet<string> = new Set([
  'type',
  'payload',
  'ref',
  'priority',
  'queue',
  'key',
  'idempotencyKey',
  'idempotencyTtlMs',
  'dependsOn',
  'onDependencyFailure',
  'retry',
  'timeoutMs',
  'deadlineAtMs',
  'delayMs',
  'runAtMs',
  'leaseMs',
  'resource',
  'trace',
  'tags',
  'preemptible',
  'network',
]);

/** A submit input, checked and with defaults applied; ids and state come later. */
export interface ResolvedInput {
  readonly type: string;
  readonly payload: Json;
  readonly ref: string | null;
  readonly priority: Priority;
  readonly queue: string;
  readonly key: string | null;
  readonly idempotencyKey: string | null;
  readonly idempotencyTtlMs: number;
  readonly dependsOn: readonly string[];
  readonly onDependencyFailure: DependencyFailurePolicy;
  readonly retry: RetryOptions;
  readonly timeoutMs: number | null;
  readonly deadlineAtMs: number | null;
  readonly runAtMs: number | null;
  readonly leaseMs: number;
  readonly resource: string | null;
  readonly trace: JobInput['trace'] | null;
  readonly tags: readonly string[];
  readonly preemptible: boolean;
  readonly network: boolean;
}

/**
 * Checks one submit input against the scheduler's configuration. Every
 * problem is a `ValidationError` that names the field and shows the value.
 */
export function resolveInput(input: JobInput<string, unknown>, handlers: Handlers, options: ResolvedOptions, nowMs: number, field = 'job'): ResolvedInput {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ValidationError(field, `Expected \`${field}\` to be an object, got ${show(input)}`);
  }
  for (const name of Object.keys(input)) {
    if (!INPUT_FIELDS.has(name)) throw new ValidationError(`${field}.${name}`, `Unknown field \`${field}.${name}\``);
  }
  const type = text(`${field}.type`, input.type);
  if (!Object.hasOwn(handlers, type)) {
    throw new ValidationError(
      `${field}.type`,
      `No handler for \`${field}.type\` ${show(type)}; known types: ${Object.keys(handlers).map(show).join(', ') || '(none)'}`,
    );
  }
  const queue = input.queue === undefined ? DEFAULT_QUEUE : text(`${field}.queue`, input.queue);
  if (!options.queues.has(queue)) {
    throw new ValidationError(
      `${field}.queue`,
      `Unknown \`${field}.queue\` ${show(queue)}; configured queues: ${[...options.queues.keys()].map(show).join(', ')}`,
    );
  }
  const priority: Priority = input.priority ?? Priority.normal;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority >= PRIORITY_LEVELS) {
    throw new ValidationError(`${field}.priority`, `Expected \`${field}.priority\` to be an integer from 0 to ${PRIORITY_LEVELS - 1}, got ${show(priority)}`);
  }
  if (input.delayMs !== undefined && input.runAtMs !== undefined) {
    throw new ValidationError(`${field}.delayMs`, `Give \`${field}.delayMs\` or \`${field}.runAtMs\`, not both`);
  }
  const runAtMs =
    input.delayMs !== undefined
      ? nowMs + number(`${field}.delayMs`, input.delayMs, 0)
      : input.runAtMs !== undefined
        ? number(`${field}.runAtMs`, input.runAtMs, 0)
        : null;
  const dependsOn = input.dependsOn ?? [];
  if (!Array.isArray(dependsOn))
    throw new ValidationError(`${field}.dependsOn`, `Expected \`${field}.dependsOn\` to be an array of ids, got ${show(dependsOn)}`);
  dependsOn.forEach((id: unknown, i: number) => {
    text(`${field}.dependsOn[${i}]`, id);
  });
  if (new Set(dependsOn).size !== dependsOn.length)
    throw new ValidationError(`${field}.dependsOn`, `\`${field}.dependsOn\` names a job twice: ${show(dependsOn)}`);
  const policy = input.onDependencyFailure ?? DependencyFailurePolicy.fail;
  if (!Object.values(DependencyFailurePolicy).includes(policy)) {
    throw new ValidationError(
      `${field}.onDependencyFailure`,
      `Expected \`${field}.onDependencyFailure\` to be "fail", "cancel" or "continue", got ${show(policy)}`,
    );
  }
  const tags = input.tags ?? [];
  if (!Array.isArray(tags)) throw new ValidationError(`${field}.tags`, `Expected \`${field}.tags\` to be an array of strings, got ${show(tags)}`);
  tags.forEach((tag: unknown, i: number) => {
    text(`${field}.tags[${i}]`, tag);
  });
  const trace = input.trace ?? null;
  if (trace !== null && (typeof trace !== 'object' || !/^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/.test(String(trace.traceparent)))) {
    throw new ValidationError(`${field}.trace`, `Expected \`${field}.trace.traceparent\` to be a W3C traceparent, got ${show(trace)}`);
  }
  const preemptible = input.preemptible ?? false;
  if (typeof preemptible !== 'boolean')
    throw new ValidationError(`${field}.preemptible`, `Expected \`${field}.preemptible\` to be a boolean, got ${show(preemptible)}`);
  const network = input.network ?? false;
  if (typeof network !== 'boolean') throw new ValidationError(`${field}.network`, `Expected \`${field}.network\` to be a boolean, got ${show(network)}`);
  const payload = input.payload ?? null;
  assertJson(payload, `${field}.payload`);
  return {
    type,
    payload,
    ref: input.ref === undefined ? null : text(`${field}.ref`, input.ref),
    priority,
    queue,
    key: input.key === undefined ? null : text(`${field}.key`, input.key),
    idempotencyKey: input.idempotencyKey === undefined ? null : text(`${field}.idempotencyKey`, input.idempotencyKey),
    idempotencyTtlMs: number(`${field}.idempotencyTtlMs`, input.idempotencyTtlMs ?? options.idempotencyTtlMs, 1),
    dependsOn,
    onDependencyFailure: policy,
    retry: resolveRetry(`${field}.retry`, input.retry, options.retry),
    timeoutMs: input.timeoutMs === undefined ? null : number(`${field}.timeoutMs`, input.timeoutMs, 1),
    deadlineAtMs: input.deadlineAtMs === undefined ? null : number(`${field}.deadlineAtMs`, input.deadlineAtMs, 0),
    runAtMs,
    leaseMs: input.leaseMs === undefined ? options.leaseMs : number(`${field}.leaseMs`, input.leaseMs, 1),
    resource: input.resource === undefined ? null : text(`${field}.resource`, input.resource),
    trace:
      trace === null
        ? null
        : trace.tracestate === undefined
          ? { traceparent: trace.traceparent }
          : { traceparent: trace.traceparent, tracestate: trace.tracestate },
    tags,
    preemptible,
    network,
  };
}
