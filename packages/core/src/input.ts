import { ValidationError } from './errors.ts';
import { DedupeMode, DependencyFailurePolicy, type JobInput, type Json, PRIORITY_LEVELS, Priority, type RetryOptions, TRACEPARENT } from './job.ts';
import { assertJson } from './json.ts';
import { DEFAULT_QUEUE, type Handlers, type ResolvedOptions } from './options.ts';
import { LIMITS } from './limits.ts';
import { duration, list, number, resolveRetry, show, text } from './validate.ts';

const INPUT_FIELDS: ReadonlySet<string> = new Set([
  'type',
  'payload',
  'ref',
  'priority',
  'queue',
  'key',
  'fairnessKey',
  'idempotencyKey',
  'dedupe',
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
  readonly fairnessKey: string | null;
  readonly idempotencyKey: string | null;
  readonly dedupe: { readonly key: string; readonly mode: DedupeMode } | null;
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
  const horizon = nowMs + LIMITS.horizonMs;
  const runAtMs =
    input.delayMs !== undefined
      ? nowMs + duration(`${field}.delayMs`, input.delayMs, 0)
      : input.runAtMs !== undefined
        ? number(`${field}.runAtMs`, input.runAtMs, 0, false, horizon)
        : null;
  const dependsOn = list(`${field}.dependsOn`, input.dependsOn ?? [], LIMITS.dependsOn, 'job ids') as string[];
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
  const tags = list(`${field}.tags`, input.tags ?? [], LIMITS.tags, 'strings') as string[];
  tags.forEach((tag: unknown, i: number) => {
    text(`${field}.tags[${i}]`, tag, LIMITS.tagChars);
  });
  const trace = input.trace ?? null;
  if (trace !== null) {
    if (typeof trace !== 'object' || typeof trace.traceparent !== 'string' || !TRACEPARENT.test(trace.traceparent)) {
      throw new ValidationError(`${field}.trace`, `Expected \`${field}.trace.traceparent\` to be a W3C traceparent, got ${show(trace)}`);
    }
    for (const name of Object.keys(trace)) {
      if (name !== 'traceparent' && name !== 'tracestate') throw new ValidationError(`${field}.trace.${name}`, `Unknown field \`${field}.trace.${name}\``);
    }
    if (trace.tracestate !== undefined) text(`${field}.trace.tracestate`, trace.tracestate, LIMITS.tracestateChars);
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
    fairnessKey: input.fairnessKey === undefined ? null : text(`${field}.fairnessKey`, input.fairnessKey),
    idempotencyKey: input.idempotencyKey === undefined ? null : text(`${field}.idempotencyKey`, input.idempotencyKey),
    dedupe: resolveDedupe(`${field}.dedupe`, input.dedupe),
    idempotencyTtlMs: duration(`${field}.idempotencyTtlMs`, input.idempotencyTtlMs ?? options.idempotencyTtlMs, 1),
    // Copied (a caller's array may change after the submit), and one shared empty list for the usual none.
    dependsOn: dependsOn.length === 0 ? NONE : [...dependsOn],
    onDependencyFailure: policy,
    retry: resolveRetry(`${field}.retry`, input.retry, options.retry),
    timeoutMs: input.timeoutMs === undefined ? null : duration(`${field}.timeoutMs`, input.timeoutMs, 1),
    deadlineAtMs: input.deadlineAtMs === undefined ? null : number(`${field}.deadlineAtMs`, input.deadlineAtMs, 0, false, horizon),
    runAtMs,
    leaseMs: input.leaseMs === undefined ? options.leaseMs : duration(`${field}.leaseMs`, input.leaseMs, 1),
    resource: input.resource === undefined ? null : text(`${field}.resource`, input.resource),
    trace:
      trace === null
        ? null
        : trace.tracestate === undefined
          ? { traceparent: trace.traceparent }
          : { traceparent: trace.traceparent, tracestate: trace.tracestate },
    tags: tags.length === 0 ? NONE : [...tags],
    preemptible,
    network,
  };
}

/** The empty list every job without dependencies or tags shares (frozen: records are values). */
const NONE: readonly string[] = Object.freeze([]);

function resolveDedupe(field: string, dedupe: JobInput['dedupe']): ResolvedInput['dedupe'] {
  if (dedupe === undefined) return null;
  if (dedupe === null || typeof dedupe !== 'object' || Array.isArray(dedupe)) {
    throw new ValidationError(field, `Expected \`${field}\` to be an object { key, mode }, got ${show(dedupe)}`);
  }
  for (const name of Object.keys(dedupe)) {
    if (name !== 'key' && name !== 'mode') throw new ValidationError(`${field}.${name}`, `Unknown field \`${field}.${name}\``);
  }
  if (!Object.values(DedupeMode).includes(dedupe.mode)) {
    throw new ValidationError(`${field}.mode`, `Expected \`${field}.mode\` to be "throttle" or "debounce", got ${show(dedupe.mode)}`);
  }
  return { key: text(`${field}.key`, dedupe.key), mode: dedupe.mode };
}
