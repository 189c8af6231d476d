import { ErrorCode, JobState, type JobInput, type JobRecord, type ListQuery } from '@baton/core';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { parseTokens, tenantOf } from './auth.ts';
import type { ErrorBody, Result } from '@baton/core/advanced';
import { statusOf } from './http-status.ts';
import { schedulerStub, type SchedulerRpc } from './scheduler-object.ts';

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
export const MAX_BATCH = 500;
export const MAX_LIST_LIMIT = 1000;

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
}

/** The longest a `GET …/jobs/:id?waitMs=` waits for the job to finish. */
export const MAX_WAIT_MS = 25_000;

/** What the API's middleware sets on hono's context for the routes after it: the caller's tenant. */
export type ApiVariables = { tenant: string };

const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Sharding: one Durable Object per (tenant, queue). A queue's jobs share one
 * object's ordering, limits and storage; different queues and tenants scale
 * out across objects. Cloudflare's soft limit is about 1,000 requests/s per
 * object, so split hot work across queues.
 */
export function objectName(tenant: string, queue: string): string {
  return `${tenant}/${queue}`;
}

function isWaitMs(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= MAX_WAIT_MS;
}

function waitMsError(given: unknown): ErrorBody {
  return {
    code: ErrorCode.validation,
    field: 'waitMs',
    message: `Expected \`waitMs\` to be an integer from 0 to ${MAX_WAIT_MS}, got ${JSON.stringify(given)}`,
  };
}

/** The `?waitMs=` query parameter: 0 when absent, or the error to answer. */
function waitMsOf(param: string | undefined): number | ErrorBody {
  const waitMs = param === undefined ? 0 : Number(param);
  return isWaitMs(waitMs) ? waitMs : waitMsError(param);
}

function fail(c: Context, error: ErrorBody): Response {
  return c.json({ error }, statusOf(error.code));
}

function unwrap<T>(c: Context, result: Result<T>, ok: (value: T) => Response): Response {
  return result.ok ? ok(result.value) : fail(c, result.error);
}

/**
 * The HTTP API, on hono: submit (one or a batch), get, list, cancel, retry,
 * metrics and an event stream, per queue. Every request carries a bearer
 * token; its tenant picks the Durable Objects, so one tenant never reaches
 * another's jobs. Bad input gets a 4xx JSON error and stores nothing.
 *
 * @example
 * export default { fetch: createApi<Env>({ objects: (env) => env.JOBS, tokens: (env) => env.BATON_TOKENS, queues: ['default'] }).fetch };
 */
export function createApi<Env extends object>(options: ApiOptions<Env>): Hono<{ Bindings: Env; Variables: ApiVariables }> {
  const queues = new Set(options.queues);
  for (const q of queues) if (!QUEUE_NAME.test(q)) throw new Error(`queue names must match ${QUEUE_NAME}, got ${JSON.stringify(q)}`);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const app = new Hono<{ Bindings: Env; Variables: ApiVariables }>();

  app.onError((error, c) => fail(c, { code: ErrorCode.internal, message: error.message }));
  app.notFound((c) => fail(c, { code: ErrorCode.notFound, message: `No route for ${c.req.method} ${new URL(c.req.url).pathname}` }));

  if (options.corsOrigins !== undefined) {
    // Before authentication: a preflight carries no token.
    app.use(
      '/v1/*',
      cors({
        origin: options.corsOrigins === '*' ? '*' : [...options.corsOrigins],
        allowHeaders: ['authorization', 'content-type', 'idempotency-key', 'traceparent', 'tracestate'],
        exposeHeaders: ['retry-after'],
        maxAge: 600,
      }),
    );
  }

  app.use('/v1/*', async (c, next) => {
    const tenant = tenantOf(c.req.header('authorization'), parseTokens(options.tokens(c.env)));
    if (tenant === null) {
      c.header('www-authenticate', 'Bearer realm="baton"');
      return fail(c, { code: ErrorCode.unauthorized, message: 'A valid `Authorization: Bearer <token>` header is required' });
    }
    c.set('tenant', tenant);
    return next();
  });

  app.use('/v1/queues/:queue/*', async (c, next) => {
    const queue = c.req.param('queue');
    if (!queues.has(queue))
      return fail(c, {
        code: ErrorCode.unknownQueue,
        message: `Unknown queue ${JSON.stringify(queue)}; queues: ${[...queues].map((q) => JSON.stringify(q)).join(', ')}`,
      });
    return next();
  });

  const stub = (c: Context<{ Bindings: Env; Variables: ApiVariables }>): SchedulerRpc =>
    schedulerStub(options.objects(c.env), objectName(c.get('tenant'), c.req.param('queue')!));

  app.post(
    '/v1/queues/:queue/jobs',
    bodyLimit({ maxSize: maxBodyBytes, onError: (c) => fail(c, { code: ErrorCode.tooLarge, message: `The body is larger than ${maxBodyBytes} bytes` }) }),
    async (posted) => {
      // bodyLimit widens hono's context type; this is the same context.
      const c = posted as unknown as Context<{ Bindings: Env; Variables: ApiVariables }>;
      if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
        return fail(c, { code: ErrorCode.unsupportedMediaType, message: 'Send the body as `content-type: application/json`' });
      }
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch (error) {
        return fail(c, { code: ErrorCode.badJson, message: `The body is not valid JSON: ${(error as Error).message}` });
      }
      const batch = body !== null && typeof body === 'object' && !Array.isArray(body) && 'jobs' in body;
      const inputs: unknown = batch ? (body as { jobs: unknown }).jobs : [body];
      if (batch && Object.keys(body as object).length !== 1)
        return fail(c, { code: ErrorCode.validation, field: 'body', message: 'A batch body has one field, `jobs`' });
      if (!Array.isArray(inputs) || inputs.length === 0 || inputs.length > MAX_BATCH) {
        return fail(c, { code: ErrorCode.validation, field: 'jobs', message: `Expected \`jobs\` to be an array of 1 to ${MAX_BATCH} jobs` });
      }
      for (const [i, input] of inputs.entries()) {
        if (input !== null && typeof input === 'object' && 'queue' in input) {
          return fail(c, {
            code: ErrorCode.validation,
            field: batch ? `jobs[${i}].queue` : 'job.queue',
            message: 'The queue is given by the path, not the body',
          });
        }
      }
      const headerKey = c.req.header('idempotency-key');
      if (headerKey !== undefined) {
        if (batch) return fail(c, { code: ErrorCode.validation, field: 'Idempotency-Key', message: 'For a batch, give each job its own `idempotencyKey`' });
        const own = (inputs[0] as { idempotencyKey?: unknown }).idempotencyKey;
        if (own !== undefined && own !== headerKey)
          return fail(c, { code: ErrorCode.validation, field: 'Idempotency-Key', message: 'The header and the body name different idempotency keys' });
        inputs[0] = { ...(inputs[0] as object), idempotencyKey: headerKey };
      }
      const waitMs = waitMsOf(c.req.query('waitMs'));
      if (typeof waitMs !== 'number') return fail(c, waitMs);
      const rpc = stub(c);
      const result = await rpc.submit(inputs as JobInput<string, unknown>[]);
      if (result.ok && waitMs > 0) {
        // Submit and wait in one round trip: the jobs as they are once all have finished, or when the wait is up.
        const now = await rpc.waitAny(
          result.value.map((r) => r.job.id),
          waitMs,
          true,
        );
        for (const [i, r] of result.value.entries()) (r as { job: JobRecord }).job = now[i] ?? r.job;
      }
      return unwrap(c, result, (results) => {
        const status = results.every((r) => r.deduplicated) ? 200 : 201;
        return batch ? c.json({ jobs: results }, status) : c.json(results[0]!, status);
      });
    },
  );

  app.post('/v1/queues/:queue/jobs/wait', async (c) => {
    let body: { ids?: unknown; waitMs?: unknown };
    try {
      body = (await c.req.json()) as typeof body;
    } catch (error) {
      return fail(c, { code: ErrorCode.badJson, message: `The body is not valid JSON: ${(error as Error).message}` });
    }
    const { ids, waitMs = 0 } = body ?? {};
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_BATCH || !ids.every((id) => typeof id === 'string')) {
      return fail(c, { code: ErrorCode.validation, field: 'ids', message: `Expected \`ids\` to be an array of 1 to ${MAX_BATCH} job ids` });
    }
    if (typeof waitMs !== 'number' || !isWaitMs(waitMs)) return fail(c, waitMsError(waitMs));
    return c.json({ jobs: await stub(c).waitAny(ids as string[], waitMs) });
  });

  app.get('/v1/queues/:queue/jobs/:id', async (c) => {
    const id = c.req.param('id');
    const waitMs = waitMsOf(c.req.query('waitMs'));
    if (typeof waitMs !== 'number') return fail(c, waitMs);
    // With a wait: a long poll, the job as soon as it has finished or as it is when the wait is up.
    const job = waitMs > 0 ? (await stub(c).waitAny([id], waitMs))[0]! : await stub(c).get(id);
    return job === null ? fail(c, { code: ErrorCode.unknownJob, message: `No job with id \`${id}\`` }) : c.json(job);
  });

  app.get('/v1/queues/:queue/jobs', async (c) => {
    const query: { -readonly [K in keyof ListQuery]: ListQuery[K] } = {};
    for (const name of Object.keys(c.req.queries())) {
      if (!['state', 'type', 'cursor', 'limit'].includes(name))
        return fail(c, { code: ErrorCode.validation, field: name, message: `Unknown query parameter \`${name}\`` });
    }
    const state = c.req.query('state');
    if (state !== undefined) {
      if (!(Object.values(JobState) as string[]).includes(state))
        return fail(c, { code: ErrorCode.validation, field: 'state', message: `Unknown state ${JSON.stringify(state)}` });
      query.state = state as JobState;
    }
    const type = c.req.query('type');
    if (type !== undefined) query.type = type;
    const cursor = c.req.query('cursor');
    if (cursor !== undefined) query.cursor = cursor;
    const limit = c.req.query('limit');
    if (limit !== undefined) {
      const n = Number(limit);
      if (!Number.isInteger(n) || n < 1 || n > MAX_LIST_LIMIT)
        return fail(c, {
          code: ErrorCode.validation,
          field: 'limit',
          message: `Expected \`limit\` to be an integer from 1 to ${MAX_LIST_LIMIT}, got ${JSON.stringify(limit)}`,
        });
      query.limit = n;
    }
    return c.json(await stub(c).list(query));
  });

  app.post('/v1/queues/:queue/jobs/:id/cancel', async (c) => unwrap(c, await stub(c).cancel(c.req.param('id')), (job) => c.json(job)));
  app.post('/v1/queues/:queue/jobs/:id/retry', async (c) => unwrap(c, await stub(c).retry(c.req.param('id')), (job) => c.json(job)));
  app.get('/v1/queues/:queue/metrics', async (c) => c.json(await stub(c).metrics()));
  app.get('/v1/queues/:queue/events', async (c) => stub(c).fetch(new Request('https://object/events', { signal: c.req.raw.signal })));

  return app;
}
