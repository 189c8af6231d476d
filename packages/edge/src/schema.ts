/**
 * What the HTTP API takes, as schemas (valibot, read through Standard
 * Schema): they check every request before a Durable Object is called,
 * type the client's requests, and describe the API (`openapi.ts`). The
 * bounds are the core's `LIMITS`; the core checks each job again, with the
 * scheduler's own configuration (its handlers, its queues).
 */
import { JobState, LIMITS, PRIORITY_LEVELS, TRACEPARENT } from '@baton/core';
import { assertJson, type ErrorBody } from '@baton/core/advanced';
import * as v from 'valibot';

/** Jobs per request (`POST …/jobs`, `POST …/jobs/wait`). */
export const MAX_BATCH = 500;
/** Jobs per page of `GET …/jobs`. */
export const MAX_LIST_LIMIT = 100;
/** The longest an answer is held (`?waitMs=`, `POST …/jobs/wait`). */
export const MAX_WAIT_MS = 25_000;
/** The latest time the API takes: the end of year 9999. The core also holds times to a year ahead. */
const MAX_TIME_MS = 253_402_300_799_999;

// Each message says what was expected; `toErrorBody` below names the field and shows the value.
const name = (chars: number = LIMITS.nameChars) =>
  v.pipe(v.string(`a string`), v.minLength(1, 'a non-empty string'), v.maxLength(chars, `a string of at most ${chars} characters`));
const ms = (min: number, max: number) =>
  v.pipe(
    v.number('a number'),
    v.finite('a finite number'),
    v.minValue(min, `a number from ${min} to ${max}`),
    v.maxValue(max, `a number from ${min} to ${max}`),
  );
const int = (min: number, max: number) =>
  v.pipe(
    v.number('a number'),
    v.integer(`an integer from ${min} to ${max}`),
    v.minValue(min, `an integer from ${min} to ${max}`),
    v.maxValue(max, `an integer from ${min} to ${max}`),
  );
const json = v.check((value: unknown) => {
  try {
    assertJson(value, 'payload');
    return true;
  } catch {
    return false;
  }
}, `JSON (plain values, at most ${LIMITS.jsonDepth} levels deep and ${LIMITS.jsonBytes} bytes)`);

export const backoffSchema = v.strictObject(
  {
    kind: v.optional(v.picklist(['constant', 'linear', 'exponential'], '"constant", "linear" or "exponential"')),
    delayMs: v.optional(ms(0, LIMITS.durationMs)),
    factor: v.optional(ms(1, LIMITS.backoffFactor)),
    maxDelayMs: v.optional(ms(0, LIMITS.durationMs)),
    jitter: v.optional(v.picklist(['none', 'full', 'equal', 'decorrelated'], '"none", "full", "equal" or "decorrelated"')),
    priorityScale: v.optional(ms(0, 10)),
  },
  'an object',
);

export const jobSchema = v.strictObject(
  {
    type: name(),
    payload: v.optional(v.pipe(v.unknown(), json)),
    ref: v.optional(name()),
    priority: v.optional(int(0, PRIORITY_LEVELS - 1)),
    key: v.optional(name()),
    fairnessKey: v.optional(name()),
    idempotencyKey: v.optional(name()),
    dedupe: v.optional(v.strictObject({ key: name(), mode: v.picklist(['throttle', 'debounce'], '"throttle" or "debounce"') }, 'an object')),
    idempotencyTtlMs: v.optional(ms(1, LIMITS.durationMs)),
    dependsOn: v.optional(v.pipe(v.array(name(), 'an array of job ids or refs'), v.maxLength(LIMITS.dependsOn, `at most ${LIMITS.dependsOn} dependencies`))),
    onDependencyFailure: v.optional(v.picklist(['fail', 'cancel', 'continue'], '"fail", "cancel" or "continue"')),
    retry: v.optional(
      v.strictObject(
        {
          maxAttempts: v.optional(int(1, LIMITS.maxAttempts)),
          backoff: v.optional(backoffSchema),
          onTimeout: v.optional(v.picklist(['retry', 'escalate', 'fail'], '"retry", "escalate" or "fail"')),
        },
        'an object',
      ),
    ),
    timeoutMs: v.optional(ms(1, LIMITS.durationMs)),
    deadlineAtMs: v.optional(ms(0, MAX_TIME_MS)),
    delayMs: v.optional(ms(0, LIMITS.durationMs)),
    runAtMs: v.optional(ms(0, MAX_TIME_MS)),
    leaseMs: v.optional(ms(1, LIMITS.durationMs)),
    resource: v.optional(name()),
    trace: v.optional(
      v.strictObject(
        {
          traceparent: v.pipe(v.string('a W3C traceparent'), v.regex(TRACEPARENT, 'a W3C traceparent')),
          tracestate: v.optional(name(LIMITS.tracestateChars)),
        },
        'an object',
      ),
    ),
    tags: v.optional(v.pipe(v.array(name(LIMITS.tagChars), 'an array of strings'), v.maxLength(LIMITS.tags, `at most ${LIMITS.tags} tags`))),
    preemptible: v.optional(v.boolean('a boolean')),
    network: v.optional(v.boolean('a boolean')),
  },
  'an object',
);

export const batchSchema = v.strictObject(
  {
    jobs: v.pipe(
      v.array(jobSchema, `an array of 1 to ${MAX_BATCH} jobs`),
      v.minLength(1, `an array of 1 to ${MAX_BATCH} jobs`),
      v.maxLength(MAX_BATCH, `an array of 1 to ${MAX_BATCH} jobs`),
    ),
  },
  'an object',
);

export const waitBodySchema = v.strictObject(
  {
    ids: v.pipe(
      v.array(name(), `an array of 1 to ${MAX_BATCH} job ids`),
      v.minLength(1, `an array of 1 to ${MAX_BATCH} job ids`),
      v.maxLength(MAX_BATCH, `an array of 1 to ${MAX_BATCH} job ids`),
    ),
    waitMs: v.optional(int(0, MAX_WAIT_MS)),
  },
  'an object',
);

/** A schedule's definition, in the body of `PUT …/schedules/{id}` (its queue is the path's; the job's `queue` may not be given). */
export const scheduleBodySchema = v.strictObject(
  {
    cron: v.optional(name()),
    everyMs: v.optional(ms(1_000, LIMITS.durationMs)),
    timezone: v.optional(name()),
    job: jobSchema,
    missed: v.optional(v.picklist(['skip', 'once', 'all'], '"skip", "once" or "all"')),
    overlap: v.optional(v.picklist(['skip', 'queue', 'allow'], '"skip", "queue" or "allow"')),
    paused: v.optional(v.boolean('a boolean')),
  },
  'an object',
);

/** A signal's name, from the path. */
export const signalNameSchema = name();

/** A signal's body: its payload, any JSON (within the limits a payload has). */
export const signalBodySchema = v.strictObject({ payload: v.optional(v.pipe(v.unknown(), json)) }, 'an object');

/** Digits only: `1e3`, `0x10` and ` 5` are not numbers here. */
const digits = (max: number, min = 0) =>
  v.pipe(
    v.string(),
    v.regex(/^(0|[1-9]\d{0,7})$/, `an integer from ${min} to ${max}`),
    v.transform(Number),
    v.number(),
    v.minValue(min, `an integer from ${min} to ${max}`),
    v.maxValue(max, `an integer from ${min} to ${max}`),
  );

export const listQuerySchema = v.strictObject(
  {
    state: v.optional(v.picklist(Object.values(JobState), `one of ${Object.values(JobState).join(', ')}`)),
    type: v.optional(name()),
    cursor: v.optional(name()),
    limit: v.optional(digits(MAX_LIST_LIMIT, 1)),
    order: v.optional(v.picklist(['asc', 'desc'], '"asc" or "desc"')),
  },
  'only `state`, `type`, `cursor`, `limit` and `order`',
);

export const waitQuerySchema = v.strictObject({ waitMs: v.optional(digits(MAX_WAIT_MS)) }, 'only `waitMs`');

/** A job as the API takes it (the queue is the path's). */
export type HttpJobInput = v.InferInput<typeof jobSchema>;
export type WaitBody = v.InferInput<typeof waitBodySchema>;
export type ListParams = v.InferOutput<typeof listQuerySchema>;

type Issue = { readonly message: string; readonly type: string; readonly input: unknown; readonly path?: ReadonlyArray<{ readonly key: unknown }> };

function show(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length <= 80 ? text : `${text.slice(0, 80)}… (${text.length} characters)`;
}

/** The field an issue is about, as the core names fields: `job.retry.maxAttempts`, `jobs[2].type`. */
function fieldOf(root: string, issue: Issue): string {
  let field = root;
  for (const { key } of issue.path ?? []) field += typeof key === 'number' ? `[${key}]` : field === '' ? String(key) : `.${String(key)}`;
  return field === '' ? 'body' : field;
}

/**
 * Checks `input` against `schema` through Standard Schema; returns the
 * value, or the error body for the first issue, naming its field.
 */
export function check<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  root: string,
): { ok: true; value: v.InferOutput<S> } | { ok: false; error: ErrorBody } {
  const result = schema['~standard'].validate(input) as { value?: unknown; issues?: readonly Issue[] } | Promise<unknown>;
  if (result instanceof Promise) throw new Error('schemas here are synchronous');
  if (result.issues === undefined) return { ok: true, value: result.value as v.InferOutput<S> };
  const issue = result.issues[0]!;
  const field = fieldOf(root, issue);
  const last = issue.path?.at(-1)?.key;
  if (issue.type === 'strict_object' && last !== undefined) {
    // A strict object reports an unknown key with the key as its input, and a missing one with none.
    const message = issue.input === last ? `Unknown field \`${field}\`` : `Expected \`${field}\` to be given`;
    return { ok: false, error: { code: 'validation', message, field, retryable: false } };
  }
  return {
    ok: false,
    error: { code: 'validation', message: `Expected \`${field}\` to be ${issue.message}, got ${show(issue.input)}`, field, retryable: false },
  };
}
