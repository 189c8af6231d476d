import { LIMITS } from '@baton/core';
import { toJsonSchema } from '@valibot/to-json-schema';
import type { GenericSchema } from 'valibot';
import { batchSchema, jobSchema, MAX_BATCH, MAX_LIST_LIMIT, MAX_WAIT_MS, scheduleBodySchema, waitBodySchema } from './schema.ts';

type JsonObject = Record<string, unknown>;

/** A schema as OpenAPI 3.1 takes it (JSON Schema 2020-12); checks JSON Schema cannot say are left to the prose. */
function schemaOf(schema: GenericSchema): JsonObject {
  const { $schema: _, ...rest } = toJsonSchema(schema, { target: 'draft-2020-12', errorMode: 'ignore' }) as JsonObject;
  return rest;
}

const error: JsonObject = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'A stable code: validation, unknown-job, idempotency-conflict, rate-limited, quota-exceeded, …' },
        message: { type: 'string' },
        field: { type: 'string', description: 'The field a validation error is about, e.g. `job.priority` or `jobs[2].type`.' },
        retryable: { type: 'boolean' },
        retryAfterMs: { type: 'number' },
      },
    },
  },
};

const errors = (...statuses: number[]): JsonObject =>
  Object.fromEntries(
    statuses.map((s) => [String(s), { description: STATUS[s], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
  );

const STATUS: Record<number, string> = {
  400: 'Bad input: nothing was stored',
  401: 'No valid bearer token',
  404: 'No such queue or job (for this tenant)',
  409: 'An idempotency conflict, or a transition the job cannot make',
  413: 'The body is too large',
  415: 'The body is not application/json',
  429: 'Too many requests (see Retry-After)',
  500: 'Internal error (see the server log for the request id)',
  503: 'The scheduler is stopping (see Retry-After)',
  507: 'The storage quota is full',
};

const job = { content: { 'application/json': { schema: { $ref: '#/components/schemas/JobRecord' } } } };
const waitMs = {
  name: 'waitMs',
  in: 'query',
  schema: { type: 'integer', minimum: 0, maximum: MAX_WAIT_MS },
  description: 'Hold the answer until the jobs have finished, at most this long.',
};

/** The API's OpenAPI 3.1 document, served at `/v1/openapi.json`. */
export function openApiDocument(queues: readonly string[]): JsonObject {
  const queue = { name: 'queue', in: 'path', required: true, schema: { type: 'string', enum: [...queues] } };
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Baton',
      version: '0.2.0',
      description: 'Jobs per queue, one Durable Object per (tenant, queue). Every route but this document needs `Authorization: Bearer <token>`.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        JobInput: schemaOf(jobSchema),
        Batch: schemaOf(batchSchema),
        WaitBody: schemaOf(waitBodySchema),
        JobRecord: {
          type: 'object',
          description:
            'A stored job: its input with defaults, `state`, `attempt`, `result`, `error`, `history` (every transition with its cause) and its times.',
        },
        Error: error,
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/queues/{queue}/jobs': {
        post: {
          summary: 'Submit one job, or a batch atomically',
          parameters: [queue, waitMs, { name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { oneOf: [{ $ref: '#/components/schemas/JobInput' }, { $ref: '#/components/schemas/Batch' }] } } },
          },
          responses: {
            200: { description: 'Every job was already there (idempotency key)' },
            201: { description: 'Stored' },
            ...errors(400, 401, 404, 409, 413, 415, 429, 500, 507),
          },
        },
        get: {
          summary: 'List jobs, newest id last, a page at a time',
          parameters: [
            queue,
            { name: 'state', in: 'query', schema: { type: 'string' } },
            { name: 'type', in: 'query', schema: { type: 'string' } },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT } },
            {
              name: 'order',
              in: 'query',
              schema: { type: 'string', enum: ['asc', 'desc'] },
              description: 'By id: `asc` is submit order, `desc` newest first.',
            },
          ],
          responses: { 200: { description: 'A page: `{ jobs, cursor }`' }, ...errors(400, 401, 404, 429) },
        },
      },
      '/v1/queues/{queue}/jobs/wait': {
        post: {
          summary: `Wait for the first of up to ${MAX_BATCH} jobs to finish (one long poll)`,
          parameters: [queue],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/WaitBody' } } } },
          responses: { 200: { description: '`{ jobs }`, `null` for an unknown id' }, ...errors(400, 401, 404, 413, 415, 429) },
        },
      },
      '/v1/queues/{queue}/jobs/{id}': { get: { summary: 'A job', parameters: [queue, id, waitMs], responses: { 200: job, ...errors(400, 401, 404, 429) } } },
      '/v1/queues/{queue}/jobs/{id}/steps': {
        get: {
          summary: 'The durable steps a job recorded',
          parameters: [queue, id],
          responses: { 200: { description: '`{ steps }`' }, ...errors(401, 404, 429) },
        },
      },
      '/v1/queues/{queue}/jobs/{id}/cancel': {
        post: { summary: 'Cancel a job that has not finished', parameters: [queue, id], responses: { 200: job, ...errors(401, 404, 409, 429) } },
      },
      '/v1/queues/{queue}/jobs/{id}/retry': {
        post: { summary: 'Send a failed job back to run', parameters: [queue, id], responses: { 200: job, ...errors(401, 404, 409, 429) } },
      },
      '/v1/queues/{queue}/jobs/{id}/signals/{name}': {
        post: {
          summary: 'Send a signal to a job, for its handler’s `ctx.waitForSignal` (the first of a name is kept)',
          parameters: [queue, id, { name: 'name', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: LIMITS.nameChars } }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { type: 'object', properties: { payload: {} }, additionalProperties: false } } },
          },
          responses: { 200: job, ...errors(400, 401, 404, 409, 413, 429) },
        },
      },
      '/v1/queues/{queue}/schedules': {
        get: { summary: 'The schedules of the queue', parameters: [queue], responses: { 200: { description: '`{ schedules }`' }, ...errors(401, 404, 429) } },
      },
      '/v1/queues/{queue}/schedules/{id}': {
        put: {
          summary: 'Make or change a schedule: `cron` (with `timezone`) or `everyMs`, the `job` each occurrence submits, `missed`, `overlap`, `paused`',
          parameters: [queue, id],
          requestBody: { required: true, content: { 'application/json': { schema: schemaOf(scheduleBodySchema) } } },
          responses: { 200: { description: 'The schedule' }, ...errors(400, 401, 404, 413, 429) },
        },
        delete: {
          summary: 'Delete a schedule',
          parameters: [queue, id],
          responses: { 200: { description: 'The schedule, as it was' }, ...errors(401, 404, 429) },
        },
      },
      '/v1/queues/{queue}/schedules/{id}/pause': {
        post: { summary: 'Pause a schedule', parameters: [queue, id], responses: { 200: { description: 'The schedule' }, ...errors(401, 404, 429) } },
      },
      '/v1/queues/{queue}/schedules/{id}/resume': {
        post: { summary: 'Resume a schedule', parameters: [queue, id], responses: { 200: { description: 'The schedule' }, ...errors(401, 404, 429) } },
      },
      '/v1/queues/{queue}/metrics': {
        get: {
          summary: 'A metrics snapshot',
          parameters: [queue],
          responses: { 200: { description: 'Depth, latency, retries, outcomes, resources' }, ...errors(401, 404, 429) },
        },
      },
      '/v1/queues/{queue}/events': {
        get: {
          summary: 'Server-sent events, with a heartbeat',
          parameters: [queue],
          responses: { 200: { description: 'text/event-stream' }, ...errors(401, 404, 429) },
        },
      },
    },
  };
}
