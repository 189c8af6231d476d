import { ErrorCode, type JobInput, type JobRecord, type Json, LIMITS, type ScheduleInput, type ListQuery, TRACEPARENT } from '@baton/core';
import type { ErrorBody, Result } from '@baton/core/advanced';
import { type Context, Hono } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { tenantForToken, tokenIdOf, tokensOf } from './auth.ts';
import { statusOf } from './http-status.ts';
import { openApiDocument } from './openapi.ts';
import { prometheusText } from './prometheus.ts';
import { schedulerStub, type SchedulerRpc } from './scheduler-object.ts';
import {
  batchSchema,
  check,
  jobSchema,
  listQuerySchema,
  MAX_BATCH,
  MAX_LIST_LIMIT,
  MAX_WAIT_MS,
  scheduleBodySchema,
  signalBodySchema,
  signalNameSchema,
  waitBodySchema,
  waitQuerySchema,
} from './schema.ts';

export { MAX_BATCH, MAX_LIST_LIMIT, MAX_WAIT_MS };
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
/** The most a list answer carries: a page of large records is cut short, with a cursor for the rest. */
export const MAX_LIST_BYTES = 1024 * 1024;

/** A log record's sink: JSON lines on the console by default. */
export type ApiLog = (level: 'error' | 'warn' | 'info', message: string, fields: Readonly<Record<string, unknown>>) => void;

const consoleLog: ApiLog = (level, message, fields) => console[level](JSON.stringify({ level, message, ...fields }));

export interface ApiOptions<Env extends object> {
  /** The namespace of your `SchedulerObject` class. */
  readonly objects: (env: Env) => DurableObjectNamespace;
  /** The secret holding `{ "<token>": "<tenant>" }` as JSON. */
  readonly tokens: (env: Env) => string | undefined;
  /** Queue names clients may use; each (tenant, queue) is one Durable Object. */
  readonly queues: readonly string[];
  /** @default 262144 (256 KiB) */
  readonly maxBodyBytes?: number;
  /**
   * Origins whose pages (and their workers) may call the API from a browser:
   * a list, or `'*'` for any (tokens travel in a header, not a cookie, so no
   * credentials are shared). Without it, browsers block cross-origin calls.
   */
  readonly corsOrigins?: readonly string[] | '*';
  /** Where details of internal errors go (never to the caller). @default JSON lines on the console */
  readonly log?: ApiLog;
}

/** What the API's middleware sets on hono's context for the routes after it: the caller's tenant. */
export type ApiVariables = { tenant: string; tokenId: string };

const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** `application/json`, with parameters (`; charset=utf-8`) but no other subtype. */
const JSON_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Sharding: one Durable Object per (tenant, queue). A queue's jobs share one
 * object's ordering, limits and storage; different queues and tenants scale
 * out across objects. Cloudflare's soft limit is about 1,000 requests/s per
 * object, so split hot work across queues.
 */
export function objectName(tenant: string, queue: string): string {
  return `${tenant}/${queue}`;
}

function cut(text: string, chars = 80): string {
  return text.length <= chars ? text : `${text.slice(0, chars)}… (${text.length} characters)`;
}

function fail(c: Context, error: ErrorBody): Response {
  if (error.retryAfterMs !== undefined) c.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
  return c.json({ error }, statusOf(error.code));
}

function answer<T>(c: Context, result: Result<T>, ok: (value: T) => Response): Response {
  return result.ok ? ok(result.value) : fail(c, result.error);
}

/**
 * The HTTP API, on hono: submit (one or a batch), get, list, cancel, retry,
 * metrics and an event stream, per queue, and its OpenAPI document at
 * `/v1/openapi.json`. Every other request carries a bearer token; its
 * tenant picks the Durable Objects, so one tenant never reaches another's
 * jobs. Every request is checked against the schemas (`schema.ts`) before
 * an object is called: bad input gets a 4xx JSON error and stores nothing.
 * An internal error answers with a safe message and a request id; its
 * details go to the log.
 *
 * @example
 * export default { fetch: createApi<Env>({ objects: (env) => env.JOBS, tokens: (env) => env.BATON_TOKENS, queues: ['default'] }).fetch };
 */
export function createApi<Env extends object>(options: ApiOptions<Env>): Hono<{ Bindings: Env; Variables: ApiVariables }> {
  const queues = new Set(options.queues);
  for (const q of queues) if (!QUEUE_NAME.test(q)) throw new Error(`queue names must match ${QUEUE_NAME}, got ${JSON.stringify(cut(q))}`);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = options.log ?? consoleLog;
  const app = new Hono<{ Bindings: Env; Variables: ApiVariables }>();
  type C = Context<{ Bindings: Env; Variables: ApiVariables }>;

  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    const requestId = crypto.randomUUID();
    log('error', 'request failed', {
      requestId,
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    return fail(c, { code: ErrorCode.internal, message: `Internal error (request ${requestId}); the details are in the server's log`, retryable: true });
  });
  app.notFound((c) => fail(c, { code: ErrorCode.notFound, message: `No route for ${c.req.method} ${cut(new URL(c.req.url).pathname)}`, retryable: false }));

  if (options.corsOrigins !== undefined) {
    // Before authentication: a preflight carries no token.
    app.use(
      '/v1/*',
      cors({
        origin: options.corsOrigins === '*' ? '*' : [...options.corsOrigins],
        allowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
        allowHeaders: ['authorization', 'content-type', 'idempotency-key', 'traceparent', 'tracestate'],
        exposeHeaders: ['retry-after'],
        maxAge: 600,
      }),
    );
  }

  // The API's description is public: it holds no tenant's data.
  app.get('/v1/openapi.json', (c) => c.json(openApiDocument(options.queues)));

  const unauthorized = (message: string) => ({ message: { error: { code: ErrorCode.unauthorized, message, retryable: false } } });
  app.use(
    '/v1/*',
    bearerAuth({
      realm: 'baton',
      // The token map is parsed once per isolate; every known token is compared in constant time.
      verifyToken: async (token, c) => {
        const tenant = await tenantForToken(token, tokensOf(options.tokens((c as unknown as C).env)));
        if (tenant === null) return false;
        (c as unknown as C).set('tenant', tenant);
        (c as unknown as C).set('tokenId', await tokenIdOf(token));
        return true;
      },
      noAuthenticationHeader: unauthorized('A valid `Authorization: Bearer <token>` header is required'),
      invalidAuthenticationHeader: {
        message: { error: { code: ErrorCode.validation, field: 'Authorization', message: 'Expected `Authorization: Bearer <token>`', retryable: false } },
      },
      invalidToken: unauthorized('A valid `Authorization: Bearer <token>` header is required'),
    }),
  );

  app.use('/v1/queues/:queue/*', async (c, next) => {
    const queue = c.req.param('queue');
    if (!queues.has(queue)) {
      return fail(c, {
        code: ErrorCode.unknownQueue,
        message: `Unknown queue ${JSON.stringify(cut(queue))}; queues: ${[...queues].map((q) => JSON.stringify(q)).join(', ')}`,
        retryable: false,
      });
    }
    return next();
  });

  /** Who asks, for the job's audit trail: the tenant and a token id, never the token. */
  const actorOf = (c: C) => ({ tenant: c.get('tenant'), tokenId: c.get('tokenId') });
  const stub = (c: C): SchedulerRpc => schedulerStub(options.objects(c.env), objectName(c.get('tenant'), c.req.param('queue')!));
  const limited = bodyLimit({
    maxSize: maxBodyBytes,
    onError: (c) => fail(c, { code: ErrorCode.tooLarge, message: `The body is larger than ${maxBodyBytes} bytes`, retryable: false }),
  });
  /** The body as JSON, or the error to answer: the content type first, then the syntax. */
  const jsonBody = async (c: C): Promise<{ ok: true; value: unknown } | { ok: false; error: ErrorBody }> => {
    if (!JSON_TYPE.test(c.req.header('content-type') ?? '')) {
      return { ok: false, error: { code: ErrorCode.unsupportedMediaType, message: 'Send the body as `content-type: application/json`', retryable: false } };
    }
    try {
      return { ok: true, value: JSON.parse(await c.req.text()) };
    } catch (error) {
      return { ok: false, error: { code: ErrorCode.badJson, message: `The body is not valid JSON: ${cut((error as Error).message, 120)}`, retryable: false } };
    }
  };
  const waitQuery = (c: C) => check(waitQuerySchema, c.req.query(), '');

  app.post('/v1/queues/:queue/jobs', limited, async (posted) => {
    const c = posted as unknown as C; // bodyLimit widens hono's context type; this is the same context
    const query = waitQuery(c);
    if (!query.ok) return fail(c, query.error);
    const body = await jsonBody(c);
    if (!body.ok) return fail(c, body.error);
    const batch = body.value !== null && typeof body.value === 'object' && !Array.isArray(body.value) && 'jobs' in body.value;
    const raw = batch ? (body.value as { jobs: unknown }).jobs : [body.value];
    if (Array.isArray(raw)) {
      for (const [i, input] of raw.entries()) {
        if (input !== null && typeof input === 'object' && 'queue' in input) {
          return fail(c, {
            code: ErrorCode.validation,
            field: batch ? `jobs[${i}].queue` : 'job.queue',
            message: 'The queue is given by the path, not the body',
            retryable: false,
          });
        }
      }
    }
    const checked = batch ? check(batchSchema, body.value, '') : check(jobSchema, body.value, 'job');
    if (!checked.ok) return fail(c, checked.error);
    const inputs: JobInput<string, unknown>[] = batch
      ? [...(checked.value as { jobs: JobInput<string, unknown>[] }).jobs]
      : [checked.value as JobInput<string, unknown>];
    const headerKey = c.req.header('idempotency-key');
    if (headerKey !== undefined) {
      // Header bytes that are not UTF-8 arrive as U+FFFD: two different keys would collide.
      if (!/^[\x20-\x7e]*$/.test(headerKey))
        return fail(c, {
          code: ErrorCode.validation,
          field: 'Idempotency-Key',
          message: 'The `Idempotency-Key` header takes printable ASCII only; send other keys as the body’s `idempotencyKey`',
          retryable: false,
        });
      if (batch)
        return fail(c, {
          code: ErrorCode.validation,
          field: 'Idempotency-Key',
          message: 'For a batch, give each job its own `idempotencyKey`',
          retryable: false,
        });
      const own = inputs[0]!.idempotencyKey;
      if (own !== undefined && own !== headerKey) {
        return fail(c, {
          code: ErrorCode.validation,
          field: 'Idempotency-Key',
          message: 'The header and the body name different idempotency keys',
          retryable: false,
        });
      }
      const key = check(jobSchema.entries.idempotencyKey, headerKey, 'Idempotency-Key');
      if (!key.ok) return fail(c, key.error);
      inputs[0] = { ...inputs[0]!, idempotencyKey: headerKey };
    }
    // A caller's `traceparent` (an instrumented fetch) is the trace context of jobs that name none.
    const traceparent = c.req.header('traceparent');
    if (traceparent !== undefined && TRACEPARENT.test(traceparent)) {
      const tracestate = c.req.header('tracestate');
      const trace = tracestate === undefined || tracestate.length > LIMITS.tracestateChars ? { traceparent } : { traceparent, tracestate };
      for (const [i, input] of inputs.entries()) if (input.trace === undefined) inputs[i] = { ...input, trace };
    }
    const rpc = stub(c);
    const result = await rpc.submit(inputs, { actor: actorOf(c) });
    if (!result.ok) return fail(c, result.error);
    const waitMs = query.value.waitMs ?? 0;
    const results = [...result.value];
    if (waitMs > 0) {
      // Submit and wait in one round trip. The jobs are stored: whatever the wait meets, the answer is a success.
      const waited = await rpc.waitAny(
        results.map((r) => r.job.id),
        waitMs,
        true,
      );
      if (waited.ok) {
        for (const [i, r] of results.entries()) results[i] = { ...r, job: waited.value[i] ?? r.job };
      }
    }
    const status = results.every((r) => r.deduplicated) ? 200 : 201;
    return batch ? c.json({ jobs: results }, status) : c.json(results[0]!, status);
  });

  app.post('/v1/queues/:queue/jobs/wait', limited, async (posted) => {
    const c = posted as unknown as C;
    const body = await jsonBody(c);
    if (!body.ok) return fail(c, body.error);
    const checked = check(waitBodySchema, body.value, '');
    if (!checked.ok) return fail(c, checked.error);
    return answer(c, await stub(c).waitAny(checked.value.ids, checked.value.waitMs ?? 0), (jobs) => c.json({ jobs }));
  });

  app.get('/v1/queues/:queue/jobs/:id', async (c) => {
    const id = c.req.param('id');
    const query = waitQuery(c);
    if (!query.ok) return fail(c, query.error);
    const waitMs = query.value.waitMs ?? 0;
    // With a wait: a long poll, the job as soon as it has finished or as it is when the wait is up.
    const found: Result<JobRecord | null> =
      waitMs > 0
        ? await stub(c)
            .waitAny([id], waitMs)
            .then((r) => (r.ok ? { ok: true, value: r.value[0] ?? null } : r))
        : await stub(c).get(id);
    return answer(c, found, (job) =>
      job === null ? fail(c, { code: ErrorCode.unknownJob, message: `No job with id \`${cut(id)}\``, retryable: false }) : c.json(job),
    );
  });

  app.get('/v1/queues/:queue/jobs', async (c) => {
    const checked = check(listQuerySchema, c.req.query(), '');
    if (!checked.ok) return fail(c, checked.error);
    const query: { -readonly [K in keyof ListQuery]: ListQuery[K] } = {};
    const { state, type, cursor, limit, order } = checked.value;
    if (order !== undefined) query.order = order;
    if (state !== undefined) query.state = state;
    if (type !== undefined) query.type = type;
    if (cursor !== undefined) query.cursor = cursor;
    if (limit !== undefined) query.limit = limit;
    return answer(c, await stub(c).list(query), (page) => {
      // A page of large records is cut short of MAX_LIST_BYTES: the cursor picks up after the last one sent.
      let bytes = 0;
      let kept = 0;
      for (const job of page.jobs) {
        bytes += JSON.stringify(job).length;
        if (bytes > MAX_LIST_BYTES && kept > 0) break;
        kept++;
      }
      if (kept === page.jobs.length) return c.json(page);
      return c.json({ jobs: page.jobs.slice(0, kept), cursor: page.jobs[kept - 1]!.id });
    });
  });

  app.get('/v1/queues/:queue/jobs/:id/steps', async (c) => answer(c, await stub(c).steps(c.req.param('id')), (steps) => c.json({ steps })));
  app.post('/v1/queues/:queue/jobs/:id/cancel', limited, async (c) =>
    answer(c, await stub(c as unknown as C).cancel(c.req.param('id'), { actor: actorOf(c as unknown as C) }), (job) => c.json(job)),
  );
  app.post('/v1/queues/:queue/jobs/:id/retry', limited, async (c) =>
    answer(c, await stub(c as unknown as C).retry(c.req.param('id'), { actor: actorOf(c as unknown as C) }), (job) => c.json(job)),
  );
  app.post('/v1/queues/:queue/jobs/:id/signals/:name', limited, async (posted) => {
    const c = posted as unknown as C;
    const name = check(signalNameSchema, c.req.param('name'), 'name');
    if (!name.ok) return fail(c, name.error);
    const body = await jsonBody(c);
    if (!body.ok) return fail(c, body.error);
    const checked = check(signalBodySchema, body.value, '');
    if (!checked.ok) return fail(c, checked.error);
    const payload = (checked.value.payload ?? null) as Json;
    return answer(c, await stub(c).signal({ id: c.req.param('id')!, name: name.value, payload }, { actor: actorOf(c) }), (job) => c.json(job));
  });
  const scheduleId = (c: C) => check(signalNameSchema, c.req.param('id'), 'id');
  app.put('/v1/queues/:queue/schedules/:id', limited, async (posted) => {
    const c = posted as unknown as C;
    const id = scheduleId(c);
    if (!id.ok) return fail(c, id.error);
    const body = await jsonBody(c);
    if (!body.ok) return fail(c, body.error);
    const job = (body.value as { job?: unknown } | null)?.job;
    if (job !== null && typeof job === 'object' && 'queue' in job) {
      return fail(c, { code: ErrorCode.validation, field: 'job.queue', message: 'The queue is given by the path, not the body', retryable: false });
    }
    const checked = check(scheduleBodySchema, body.value, '');
    if (!checked.ok) return fail(c, checked.error);
    // As a submit's: the object is the queue's, and its scheduler runs the job in its own default queue.
    const input = { ...checked.value, id: id.value } as unknown as ScheduleInput;
    return answer(c, await stub(c).schedule(input, { actor: actorOf(c) }), (schedule) => c.json(schedule));
  });
  app.get('/v1/queues/:queue/schedules', async (c) => answer(c, await stub(c).schedules(), (schedules) => c.json({ schedules })));
  for (const action of ['pause', 'resume'] as const) {
    app.post(`/v1/queues/:queue/schedules/:id/${action}`, limited, async (posted) => {
      const c = posted as unknown as C;
      const id = scheduleId(c);
      if (!id.ok) return fail(c, id.error);
      const call = action === 'pause' ? stub(c).pauseSchedule(id.value, { actor: actorOf(c) }) : stub(c).resumeSchedule(id.value, { actor: actorOf(c) });
      return answer(c, await call, (schedule) => c.json(schedule));
    });
  }
  app.delete('/v1/queues/:queue/schedules/:id', limited, async (posted) => {
    const c = posted as unknown as C;
    const id = scheduleId(c);
    if (!id.ok) return fail(c, id.error);
    return answer(c, await stub(c).unschedule(id.value, { actor: actorOf(c) }), (schedule) => c.json(schedule));
  });
  app.get('/v1/queues/:queue/metrics', async (c) =>
    answer(c, await stub(c).metrics(), (metrics) =>
      // Prometheus asks for text; everyone else gets JSON.
      /^text\/plain\b|application\/openmetrics-text/.test(c.req.header('accept') ?? '')
        ? c.text(prometheusText(metrics, { tenant: c.get('tenant'), queue: c.req.param('queue') }), 200, {
            'content-type': 'text/plain; version=0.0.4; charset=utf-8',
          })
        : c.json(metrics),
    ),
  );
  app.get('/v1/queues/:queue/events', async (c) => stub(c).fetch(new Request('https://object/events', { signal: c.req.raw.signal })));

  return app;
}
