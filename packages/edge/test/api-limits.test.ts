/**
 * The API at its limits: every bound refused with a typed 4xx before an
 * object is called, nothing stored on refusal, no 5xx for hostile input, no
 * detail of an internal error to the caller, and the per-object request
 * rate, storage quota and event streams enforced.
 */
import { env, exports } from 'cloudflare:workers';
import { LIMITS } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { createApi, objectName, schedulerStub } from '../src/index.ts';
import type { Env } from './worker.ts';

const ACME = 'test-token-acme-0001';
const BASE = 'https://baton.test';

type Answer = { status: number; body: { error?: { code: string; field?: string; message: string }; [key: string]: unknown }; headers: Headers };

async function call(method: string, path: string, init: { body?: string; headers?: Record<string, string>; token?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${init.token ?? ACME}`,
    ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...init.headers,
  };
  const response = await exports.default.fetch(new Request(`${BASE}${path}`, { method, headers, body: init.body ?? null }));
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Answer['body']), headers: response.headers };
}

async function stored(queue = 'default'): Promise<number> {
  const page = await schedulerStub(env.JOBS, objectName('acme', queue)).list({});
  if (!page.ok) throw new Error(page.error.message);
  return page.value.jobs.length;
}

function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

describe('limits (workerd)', () => {
  it.each([
    ['a payload nested thousands of levels deep', `{"type":"echo","payload":${nested(5_000)}}`, 'job.payload'],
    [
      'a trace state nested deep',
      `{"type":"echo","trace":{"traceparent":"00-${'a'.repeat(32)}-${'b'.repeat(16)}-01","tracestate":${nested(3_000)}}}`,
      'job.trace.tracestate',
    ],
    ['a batch item nested deep', `{"jobs":[{"type":"echo"},{"type":"echo","payload":${nested(4_000)}}]}`, 'jobs[1].payload'],
    ['too many tags', JSON.stringify({ type: 'echo', tags: Array.from({ length: LIMITS.tags + 1 }, (_, i) => `t${i}`) }), 'job.tags'],
    ['a duration of 1e308', JSON.stringify({ type: 'echo', delayMs: 1e308 }), 'job.delayMs'],
    ['a lease of 1e308', JSON.stringify({ type: 'echo', leaseMs: 1e308 }), 'job.leaseMs'],
    ['a deadline of 1e308', JSON.stringify({ type: 'echo', deadlineAtMs: 1e308 }), 'job.deadlineAtMs'],
    ['1e15 attempts', JSON.stringify({ type: 'echo', retry: { maxAttempts: 1e15 } }), 'job.retry.maxAttempts'],
    ['a backoff of 1e308', JSON.stringify({ type: 'echo', retry: { backoff: { maxDelayMs: 1e308 } } }), 'job.retry.backoff.maxDelayMs'],
    [
      'a trace state that is an object',
      JSON.stringify({ type: 'echo', trace: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, tracestate: { x: 1 } } }),
      'job.trace.tracestate',
    ],
    ['too many dependencies', JSON.stringify({ type: 'echo', dependsOn: Array.from({ length: LIMITS.dependsOn + 1 }, (_, i) => `d${i}`) }), 'job.dependsOn'],
  ])('refuses %s with a 400 naming the field, and stores nothing', async (_name, body, field) => {
    // The default body limit (256 KiB), where the test worker's is 4 KiB: deep nesting needs room.
    const roomy = createApi<Env>({ objects: (e) => e.JOBS, tokens: (e) => e.BATON_TOKENS, queues: ['default'] });
    const response = await roomy.fetch(
      new Request(`${BASE}/v1/queues/default/jobs`, { method: 'POST', headers: { authorization: `Bearer ${ACME}`, 'content-type': 'application/json' }, body }),
      env,
    );
    const answer = { status: response.status, body: (await response.json()) as Answer['body'] };
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'validation', field });
    expect(await stored()).toBe(0);
  });

  it('reads numbers in the query as digits only, and bounds list pages', async () => {
    for (const limit of ['1e3', '0x10', ' 5', '5 ', '-1', '1.5', '101', '1000']) {
      const answer = await call('GET', `/v1/queues/default/jobs?limit=${encodeURIComponent(limit)}`);
      expect({ limit, status: answer.status, field: answer.body.error?.field }).toEqual({ limit, status: 400, field: 'limit' });
    }
    for (const waitMs of ['1e3', '0x10', ' 5', '25001']) {
      const answer = await call('GET', `/v1/queues/default/jobs/nope?waitMs=${encodeURIComponent(waitMs)}`);
      expect({ waitMs, status: answer.status, field: answer.body.error?.field }).toEqual({ waitMs, status: 400, field: 'waitMs' });
    }
    expect((await call('GET', '/v1/queues/default/jobs?limit=100')).status).toBe(200);
  });

  it('holds the wait route to the same body rules: JSON only, bounded, checked', async () => {
    const typeless = await exports.default.fetch(
      new Request(`${BASE}/v1/queues/default/jobs/wait`, { method: 'POST', headers: { authorization: `Bearer ${ACME}` }, body: '{"ids":["a"]}' }),
    );
    expect(typeless.status).toBe(415);
    const large = await call('POST', '/v1/queues/default/jobs/wait', { body: JSON.stringify({ ids: ['a'], pad: 'x'.repeat(8_000) }) });
    expect(large.status).toBe(413);
    const extra = await call('POST', '/v1/queues/default/jobs/wait', { body: JSON.stringify({ ids: ['a'], colour: 'red' }) });
    expect(extra.body.error).toMatchObject({ code: 'validation', field: 'colour' });
  });

  it('takes application/json and nothing that merely starts like it', async () => {
    const patch = await call('POST', '/v1/queues/default/jobs', { body: '{"type":"echo"}', headers: { 'content-type': 'application/json-patch+json' } });
    expect(patch.status).toBe(415);
    const charset = await call('POST', '/v1/queues/default/jobs', { body: '{"type":"echo"}', headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(charset.status).toBe(201);
  });

  it('reads the bearer scheme as RFC 7235 says (any case), and takes only a token68 after it', async () => {
    // Header values reach no parser with whitespace at either end: the Fetch standard strips it.
    expect((await call('GET', '/v1/queues/default/metrics', { headers: { authorization: `bearer ${ACME}` } })).status).toBe(200);
    const spaced = await call('GET', '/v1/queues/default/metrics', { headers: { authorization: `Bearer ${ACME} extra` } });
    expect(spaced.status).toBe(400);
    expect(spaced.body.error?.code).toBe('validation');
    expect((await call('GET', '/v1/queues/default/metrics', { headers: { authorization: `Basic ${ACME}` } })).status).toBe(400);
    expect((await call('GET', '/v1/queues/default/metrics', { token: 'test-token-acme-0002' })).status).toBe(401);
  });

  it('answers an internal error with a safe message and a request id, never its detail', async () => {
    const logged: unknown[] = [];
    const broken = createApi<Env>({ objects: (e) => e.JOBS, tokens: () => '{not json', queues: ['default'], log: (...record) => logged.push(record) });
    const response = await broken.fetch(new Request(`${BASE}/v1/queues/default/metrics`, { headers: { authorization: `Bearer ${ACME}` } }), env);
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('internal');
    expect(body.error.message).toMatch(/^Internal error \(request [\da-f-]{36}\)/);
    expect(body.error.message).not.toContain('BATON_TOKENS');
    expect(JSON.stringify(logged)).toContain('BATON_TOKENS must be JSON'); // the detail is in the log
  });

  it('echoes no long input back in an error', async () => {
    const answer = await call('GET', `/v1/queues/${'q'.repeat(60_000)}/jobs`);
    expect(answer.status).toBe(404);
    expect(answer.body.error!.message.length).toBeLessThan(300);
  });

  it('serves its OpenAPI document without a token, from the same schemas it validates with', async () => {
    const response = await exports.default.fetch(new Request(`${BASE}/v1/openapi.json`));
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      components: { schemas: { JobInput: { properties: Record<string, { maximum?: number }> } } };
      paths: object;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.schemas.JobInput.properties.priority?.maximum).toBe(4);
    expect(Object.keys(doc.paths)).toContain('/v1/queues/{queue}/jobs');
  });

  it('advertises in a CORS preflight only the methods it serves', async () => {
    const response = await exports.default.fetch(
      new Request(`${BASE}/v1/queues/default/jobs`, { method: 'OPTIONS', headers: { origin: 'https://app.test', 'access-control-request-method': 'POST' } }),
    );
    expect(response.headers.get('access-control-allow-methods')).toBe('GET,POST,PUT,DELETE'); // PUT and DELETE: schedules
  });
});

describe('per-object rate, quota and streams (workerd)', () => {
  const limited = createApi<Env>({ objects: (e) => e.LIMITED, tokens: (e) => e.BATON_TOKENS, queues: ['default', 'streams', 'full'] });
  const send = async (method: string, path: string, body?: string) => {
    const response = await limited.fetch(
      new Request(`${BASE}${path}`, {
        method,
        headers: { authorization: `Bearer ${ACME}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body ?? null,
      }),
      env,
    );
    return { status: response.status, headers: response.headers, body: (await response.json()) as { error?: { code: string; retryAfterMs?: number } } };
  };

  it('refuses past its request rate with 429 and Retry-After, then lets requests through again', async () => {
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await send('GET', '/v1/queues/default/metrics'));
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.body.error).toMatchObject({ code: 'rate-limited' });
    expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await send('GET', '/v1/queues/default/metrics')).status).toBe(200);
  });

  it('refuses a submit past its storage quota with 507, storing nothing', async () => {
    const answer = await send('POST', '/v1/queues/full/jobs', JSON.stringify({ type: 'echo', payload: { text: 'x' } }));
    expect(answer.status).toBe(507);
    expect(answer.body.error).toMatchObject({ code: 'quota-exceeded' });
    const page = await schedulerStub(env.LIMITED, objectName('acme', 'full')).list({});
    expect(page.ok && page.value.jobs.length).toBe(0);
  });

  it('keeps event streams to their limit, each with a heartbeat', async () => {
    const controller = new AbortController();
    const first = await limited.fetch(
      new Request(`${BASE}/v1/queues/streams/events`, { headers: { authorization: `Bearer ${ACME}` }, signal: controller.signal }),
      env,
    );
    expect(first.status).toBe(200);
    const reader = first.body!.getReader();
    let text = '';
    while (!text.includes(': heartbeat')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain(': heartbeat');
    const second = await limited.fetch(new Request(`${BASE}/v1/queues/streams/events`, { headers: { authorization: `Bearer ${ACME}` } }), env);
    expect(second.status).toBe(429);
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe('too-many-streams');
    controller.abort();
    await reader.cancel().catch(() => {});
  });
});
