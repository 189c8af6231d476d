import { env, exports } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import type { JobRecord, MetricsSnapshot } from '@baton/core';
import type { ErrorBody } from '@baton/core/advanced';
import { describe, expect, it } from 'vitest';
import { BatonHttpError, createClient } from '../src/client.ts';
import { objectName, schedulerStub, tokenIdOf } from '../src/index.ts';

const ACME = 'test-token-acme-0001';
const GLOBEX = 'test-token-globex-001';
const BASE = 'https://baton.test';

/**
 * A JSON body of the API, read loosely: a job, a submit result (`job`,
 * `deduplicated`), a page (`jobs`, `cursor`), metrics (`depth`) or an error.
 * Each test knows which one it asked for.
 */
interface Body extends Omit<JobRecord, 'error'> {
  readonly job: JobRecord;
  readonly deduplicated: boolean;
  /** Jobs (a page, a wait) or submit results (a batch). */
  readonly jobs: ReadonlyArray<JobRecord & { readonly job: JobRecord }>;
  readonly cursor: string | null;
  readonly depth: MetricsSnapshot['depth'];
  readonly error: ErrorBody;
}

async function call(method: string, path: string, init: { token?: string | null; body?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? ACME}`;
  if (init.body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  const response = await exports.default.fetch(new Request(`${BASE}${path}`, { method, headers, body: init.body ?? null }));
  return { status: response.status, body: (await response.json()) as Body, headers: response.headers };
}

async function storedJobs(tenant: string, queue = 'default'): Promise<number> {
  const page = await schedulerStub(env.JOBS, objectName(tenant, queue)).list({});
  if (!page.ok) throw new Error(page.error.message);
  return page.value.jobs.length;
}

async function clearAlarm(tenant: string, queue = 'default'): Promise<void> {
  await runInDurableObject(env.JOBS.get(env.JOBS.idFromName(objectName(tenant, queue))) as never, (_i: unknown, state: DurableObjectState) =>
    state.storage.deleteAlarm(),
  );
}

describe('HTTP API (workerd)', () => {
  it('submits, gets, lists, waits, and honours an Idempotency-Key header', async () => {
    const created = await call('POST', '/v1/queues/emails/jobs', {
      body: JSON.stringify({ type: 'echo', payload: { text: 'hi' } }),
      headers: { 'idempotency-key': 'mail-1' },
    });
    expect(created.status).toBe(201);
    expect(created.body.deduplicated).toBe(false);
    const id = created.body.job.id as string;
    expect(created.body.job.idempotencyKey).toBe('mail-1');

    const again = await call('POST', '/v1/queues/emails/jobs', {
      body: JSON.stringify({ type: 'echo', payload: { text: 'hi' } }),
      headers: { 'idempotency-key': 'mail-1' },
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ deduplicated: true, job: { id } });

    const conflict = await call('POST', '/v1/queues/emails/jobs', {
      body: JSON.stringify({ type: 'echo', payload: { text: 'other' } }),
      headers: { 'idempotency-key': 'mail-1' },
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('idempotency-conflict');

    await expect.poll(async () => (await call('GET', `/v1/queues/emails/jobs/${id}`)).body.state).toBe('succeeded');
    const fetched = await call('GET', `/v1/queues/emails/jobs/${id}`);
    expect(fetched.body.result).toBe('hi');

    const batch = await call('POST', '/v1/queues/emails/jobs', {
      body: JSON.stringify({
        jobs: [
          { type: 'echo', payload: { text: 'a' } },
          { type: 'echo', payload: { text: 'b' }, delayMs: 60_000 },
        ],
      }),
    });
    expect(batch.status).toBe(201);
    expect(batch.body.jobs.map((r) => r.job.state)).toEqual(['ready', 'scheduled']);

    const page1 = await call('GET', '/v1/queues/emails/jobs?limit=2');
    expect(page1.body.jobs).toHaveLength(2);
    const page2 = await call('GET', `/v1/queues/emails/jobs?limit=2&cursor=${page1.body.cursor}`);
    expect(page2.body.jobs).toHaveLength(1);
    expect(page2.body.cursor).toBeNull();
    const scheduled = await call('GET', '/v1/queues/emails/jobs?state=scheduled');
    expect(scheduled.body.jobs.map((j) => j.id)).toEqual([batch.body.jobs[1]!.job.id]);

    const cancelled = await call('POST', `/v1/queues/emails/jobs/${batch.body.jobs[1]!.job.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');
    const again2 = await call('POST', `/v1/queues/emails/jobs/${batch.body.jobs[1]!.job.id}/cancel`);
    expect(again2.status).toBe(409);

    const metrics = await call('GET', '/v1/queues/emails/metrics');
    expect(metrics.body.depth.cancelled.total).toBe(1);
    await clearAlarm('acme', 'emails');
  });

  it('holds a GET with waitMs until the job finishes, and refuses a bad waitMs', async () => {
    const { body } = await call('POST', '/v1/queues/default/jobs', { body: JSON.stringify({ type: 'sleep', payload: { ms: 300 } }) });
    const id = body.job.id as string;
    const now = await call('GET', `/v1/queues/default/jobs/${id}`);
    expect(now.body.state).not.toBe('succeeded');
    const waited = await call('GET', `/v1/queues/default/jobs/${id}?waitMs=5000`);
    expect(waited.status).toBe(200);
    expect(waited.body).toMatchObject({ state: 'succeeded', result: 300 });
    const { body: slow } = await call('POST', '/v1/queues/default/jobs', { body: JSON.stringify({ type: 'sleep', payload: { ms: 2_000 } }) });
    const early = await call('GET', `/v1/queues/default/jobs/${slow.job.id}?waitMs=50`);
    expect(early.body.state).toBe('running'); // the wait was up first: the job as it is
    for (const bad of ['-1', '1.5', 'soon', '25001']) {
      const refused = await call('GET', `/v1/queues/default/jobs/${id}?waitMs=${bad}`);
      expect(refused.status).toBe(400);
      expect(refused.body.error.field).toBe('waitMs');
    }
    await call('GET', `/v1/queues/default/jobs/${slow.job.id}?waitMs=5000`);
  });

  it('submits and waits in one round trip with ?waitMs=', async () => {
    const one = await call('POST', '/v1/queues/default/jobs?waitMs=5000', { body: JSON.stringify({ type: 'sleep', payload: { ms: 100 } }) });
    expect(one.status).toBe(201);
    expect(one.body.job).toMatchObject({ state: 'succeeded', result: 100 });
    const both = await call('POST', '/v1/queues/default/jobs?waitMs=5000', {
      body: JSON.stringify({
        jobs: [
          { type: 'sleep', payload: { ms: 50 } },
          { type: 'sleep', payload: { ms: 300 } },
        ],
      }),
    });
    expect(both.body.jobs.map((r) => r.job.state)).toEqual(['succeeded', 'succeeded']); // all of them, not the first
    const short = await call('POST', '/v1/queues/default/jobs?waitMs=20', { body: JSON.stringify({ type: 'sleep', payload: { ms: 1_000 } }) });
    expect(short.body.job.state).not.toBe('succeeded'); // the wait was up first
    expect((await call('POST', '/v1/queues/default/jobs?waitMs=soon', { body: JSON.stringify({ type: 'echo', payload: { text: 'x' } }) })).status).toBe(400);
    await call('GET', `/v1/queues/default/jobs/${short.body.job.id}?waitMs=5000`);
  });

  it('waits on many jobs in one long poll: back when the first finishes', async () => {
    const { body } = await call('POST', '/v1/queues/default/jobs', {
      body: JSON.stringify({
        jobs: [
          { type: 'sleep', payload: { ms: 200 } },
          { type: 'sleep', payload: { ms: 3_000 } },
        ],
      }),
    });
    const [fast, slow] = body.jobs.map((r) => r.job.id as string);
    const waited = await call('POST', '/v1/queues/default/jobs/wait', { body: JSON.stringify({ ids: [slow, fast, 'no-such-job'], waitMs: 10_000 }) });
    // An unknown id is answered at once, as null.
    expect(waited.body.jobs[2]).toBeNull();
    const again = await call('POST', '/v1/queues/default/jobs/wait', { body: JSON.stringify({ ids: [slow, fast], waitMs: 10_000 }) });
    expect(again.body.jobs.map((j) => j.state)).toEqual(['running', 'succeeded']);
    for (const bad of [{ ids: [] }, { ids: 'x' }, { ids: [fast], waitMs: -1 }, { ids: [fast], waitMs: 30_000 }]) {
      expect((await call('POST', '/v1/queues/default/jobs/wait', { body: JSON.stringify(bad) })).status).toBe(400);
    }
    await call('GET', `/v1/queues/default/jobs/${slow}?waitMs=5000`);
  });

  it('answers CORS preflights for its allowed origins only, before asking for a token', async () => {
    const preflight = (origin: string) =>
      exports.default.fetch(
        new Request(`${BASE}/v1/queues/default/jobs`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, idempotency-key' },
        }),
      );
    const allowed = await preflight('https://app.test');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.test');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/idempotency-key/);
    const other = await preflight('https://evil.test');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const answer = await exports.default.fetch(
      new Request(`${BASE}/v1/queues/default/metrics`, { headers: { origin: 'https://app.test', authorization: `Bearer ${ACME}` } }),
    );
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.test');
    expect(answer.headers.get('access-control-expose-headers')).toMatch(/retry-after/);
  });

  it('retries a job from the dead-letter set', async () => {
    const created = await call('POST', '/v1/queues/default/jobs', { body: JSON.stringify({ type: 'broken' }) });
    const id = created.body.job.id;
    await expect.poll(async () => (await call('GET', `/v1/queues/default/jobs/${id}`)).body.state).toBe('failed');
    const failed = await call('GET', '/v1/queues/default/jobs?state=failed');
    expect(failed.body.jobs.map((j) => j.id)).toEqual([id]);
    const retried = await call('POST', `/v1/queues/default/jobs/${id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.history.at(-1)!.cause.code).toBe('manual-retry');
    await expect.poll(async () => (await call('GET', `/v1/queues/default/jobs/${id}`)).body.attempt).toBe(1);
    await clearAlarm('acme');
  });

  it.each([
    ['malformed JSON', { body: '{"type": "echo",' }, 400, 'bad-json', undefined],
    ['a wrong type', { body: JSON.stringify({ type: 'echo', priority: 'high' }) }, 400, 'validation', 'job.priority'],
    ['an unknown field', { body: JSON.stringify({ type: 'echo', colour: 'red' }) }, 400, 'validation', 'job.colour'],
    ['an unknown handler', { body: JSON.stringify({ type: 'teleport' }) }, 400, 'validation', 'job.type'],
    ['a queue in the body', { body: JSON.stringify({ type: 'echo', queue: 'emails' }) }, 400, 'validation', 'job.queue'],
    ['a payload that is too large', { body: JSON.stringify({ type: 'echo', payload: { text: 'x'.repeat(5000) } }) }, 413, 'too-large', undefined],
    ['an empty batch', { body: JSON.stringify({ jobs: [] }) }, 400, 'validation', 'jobs'],
    ['a batch with one bad job', { body: JSON.stringify({ jobs: [{ type: 'echo' }, { type: 'echo', delayMs: -1 }] }) }, 400, 'validation', 'jobs[1].delayMs'],
    [
      'a dependency cycle',
      {
        body: JSON.stringify({
          jobs: [
            { ref: 'a', type: 'echo', dependsOn: ['b'] },
            { ref: 'b', type: 'echo', dependsOn: ['a'] },
          ],
        }),
      },
      400,
      'dependency-cycle',
      undefined,
    ],
    ['a body that is not JSON', { body: 'type=echo', headers: { 'content-type': 'text/plain' } }, 415, 'unsupported-media-type', undefined],
  ])('refuses %s with a clear 4xx and stores nothing', async (_name, init, status, code, field) => {
    const response = await call('POST', '/v1/queues/default/jobs', { token: GLOBEX, ...init });
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
    expect(typeof response.body.error.message).toBe('string');
    if (field !== undefined) expect(response.body.error.field).toBe(field);
    expect(await storedJobs('globex')).toBe(0);
  });

  it('refuses unknown queues, routes and list parameters', async () => {
    expect((await call('POST', '/v1/queues/nope/jobs', { body: JSON.stringify({ type: 'echo' }) })).status).toBe(404);
    expect((await call('GET', '/v1/queues/nope/jobs')).body.error.code).toBe('unknown-queue');
    expect((await call('GET', '/v2/everything')).status).toBe(404);
    const badLimit = await call('GET', '/v1/queues/default/jobs?limit=0');
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.error.field).toBe('limit');
    expect((await call('GET', '/v1/queues/default/jobs?state=lost')).body.error.field).toBe('state');
    expect((await call('GET', '/v1/queues/default/jobs?colour=red')).body.error.field).toBe('colour');
    expect((await call('GET', '/v1/queues/default/jobs/nope')).status).toBe(404);
  });

  it('refuses requests without a valid token', async () => {
    const before = await storedJobs('acme');
    const none = await call('GET', '/v1/queues/default/jobs', { token: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect((await call('GET', '/v1/queues/default/jobs', { token: 'test-token-acme-0002' })).status).toBe(401);
    expect((await call('POST', '/v1/queues/default/jobs', { token: 'wrong', body: JSON.stringify({ type: 'echo' }) })).status).toBe(401);
    expect(await storedJobs('acme')).toBe(before);
  });

  it('never lets one tenant read, list, cancel or retry another tenant’s jobs', async () => {
    const mine = await call('POST', '/v1/queues/default/jobs', { token: GLOBEX, body: JSON.stringify({ type: 'hang' }) });
    const id = mine.body.job.id;
    expect((await call('GET', `/v1/queues/default/jobs/${id}`, { token: GLOBEX })).status).toBe(200);
    expect((await call('GET', `/v1/queues/default/jobs/${id}`, { token: ACME })).status).toBe(404);
    expect((await call('GET', '/v1/queues/default/jobs', { token: ACME })).body.jobs.map((j) => j.id)).not.toContain(id);
    expect((await call('POST', `/v1/queues/default/jobs/${id}/cancel`, { token: ACME })).status).toBe(404);
    expect((await call('POST', `/v1/queues/default/jobs/${id}/retry`, { token: ACME })).status).toBe(404);
    expect((await call('GET', `/v1/queues/default/jobs/${id}`, { token: GLOBEX })).body.state).toBe('running');
    await call('POST', `/v1/queues/default/jobs/${id}/cancel`, { token: GLOBEX });
    await clearAlarm('globex');
  });

  it('streams events over SSE', async () => {
    const controller = new AbortController();
    const response = await exports.default.fetch(
      new Request(`${BASE}/v1/queues/emails/events`, { headers: { authorization: `Bearer ${GLOBEX}` }, signal: controller.signal }),
    );
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    await call('POST', '/v1/queues/emails/jobs', { token: GLOBEX, body: JSON.stringify({ type: 'echo', payload: { text: 'streamed' } }) });
    let text = '';
    while (!text.includes('event: job.succeeded')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('event: job.ready');
    expect(text).toContain('event: job.running');
    expect(text).toContain('event: job.succeeded');
    controller.abort();
    await reader.cancel().catch(() => {});
    await clearAlarm('globex', 'emails');
  });

  it('takes a traceparent header as the trace context of jobs that name none', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const headers = { traceparent, tracestate: 'congo=t61rcWkgMzE' };
    const own = '00-11111111111111111111111111111111-2222222222222222-01';
    const res = await call('POST', '/v1/queues/default/jobs', {
      headers,
      body: JSON.stringify({
        jobs: [
          { type: 'echo', payload: { text: 'a' } },
          { type: 'echo', payload: { text: 'b' }, trace: { traceparent: own } },
        ],
      }),
    });
    expect(res.status).toBe(201);
    const jobs = (res.body as unknown as { jobs: Array<{ job: JobRecord }> }).jobs.map((r) => r.job.trace);
    expect(jobs).toEqual([{ traceparent, tracestate: 'congo=t61rcWkgMzE' }, { traceparent: own }]);
    const bad = await call('POST', '/v1/queues/default/jobs', {
      headers: { traceparent: 'not-a-traceparent' },
      body: JSON.stringify({ type: 'echo', payload: { text: 'c' } }),
    });
    expect((bad.body as unknown as { job: JobRecord }).job.trace).toBeNull(); // a malformed header is ignored, as W3C says
  });

  it("lists newest first and reads a job's recorded steps", async () => {
    const client = createClient({ baseUrl: BASE, token: GLOBEX, fetch: (r) => exports.default.fetch(r) }).queue('emails');
    const [a, b] = await client.submitAll([
      { type: 'echo', payload: { text: 'a' } },
      { type: 'charge', payload: { order: 'o-5' } },
    ]);
    expect((await client.list({ order: 'desc', limit: 1 })).jobs.map((j) => j.id)).toEqual([b!.job.id]);
    expect((await client.list({ order: 'desc' })).jobs.map((j) => j.id).slice(0, 2)).toEqual([b!.job.id, a!.job.id]);
    await expect.poll(async () => (await client.steps(b!.job.id)).map((s) => s.name)).toEqual(['charge']);
    // An unknown job is a 404, as on the other job routes (a job with no steps yet answers []).
    const missing = await client.steps('no-such-job').catch((e: unknown) => e);
    expect(missing instanceof BatonHttpError && missing.status === 404 && missing.code === 'unknown-job').toBe(true);
    expect(await client.steps(a!.job.id)).toEqual([]);
    await client.cancel(b!.job.id);
    await clearAlarm('globex', 'emails');
  });

  it("answers /metrics in Prometheus text on Accept: text/plain, labelled with the caller's own tenant", async () => {
    const created = await call('POST', '/v1/queues/default/jobs?waitMs=5000', { body: JSON.stringify({ type: 'echo', payload: { text: 'counted' } }) });
    expect(created.body.job.state).toBe('succeeded');
    const response = await exports.default.fetch(
      new Request(`${BASE}/v1/queues/default/metrics`, { headers: { authorization: `Bearer ${ACME}`, accept: 'text/plain' } }),
    );
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const json = (await call('GET', '/v1/queues/default/metrics')).body as unknown as MetricsSnapshot;
    // Every sample is `name{labels} value`, with the caller's tenant and the queue.
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#')))
      expect(line).toMatch(/^baton_[a-z_]+\{tenant="acme",queue="default"(,[a-z]+="[^"]*")*\} [\d.e+-]+$/);
    expect(text).not.toContain('globex');
    expect(text).toContain(`baton_jobs{tenant="acme",queue="default",state="succeeded",priority="2"} ${json.depth.succeeded.byPriority[2]}`);
    expect(text).toContain(`baton_jobs_finished_total{tenant="acme",queue="default",type="echo",outcome="succeeded"} ${json.byType.echo!.succeeded}`);
    expect(text).toContain(`baton_jobs_submitted_total{tenant="acme",queue="default"} ${json.counts.submitted}`);
    await clearAlarm('acme');
  });

  it('keeps who submitted, cancelled and retried a job in its history: a tenant and a token id, never the token', async () => {
    const created = await call('POST', '/v1/queues/default/jobs', { body: JSON.stringify({ type: 'broken' }) });
    const id = created.body.job.id;
    await expect.poll(async () => (await call('GET', `/v1/queues/default/jobs/${id}`)).body.state).toBe('failed');
    await call('POST', `/v1/queues/default/jobs/${id}/retry`);
    const delayed = await call('POST', '/v1/queues/default/jobs', { body: JSON.stringify({ type: 'echo', payload: { text: 'later' }, delayMs: 60_000 }) });
    await call('POST', `/v1/queues/default/jobs/${delayed.body.job.id}/cancel`);
    const tokenId = await tokenIdOf(ACME);
    expect(tokenId).toMatch(/^[\da-f]{12}$/);
    const history = (await call('GET', `/v1/queues/default/jobs/${id}`)).body.history;
    expect(history.find((t) => t.cause.code === 'submitted')?.cause.actor).toEqual({ tenant: 'acme', tokenId });
    expect(history.find((t) => t.cause.code === 'manual-retry')?.cause.actor).toEqual({ tenant: 'acme', tokenId });
    const cancelled = (await call('GET', `/v1/queues/default/jobs/${delayed.body.job.id}`)).body.history.at(-1)!;
    expect(cancelled.cause).toMatchObject({ code: 'cancelled', actor: { tenant: 'acme', tokenId } });
    expect(JSON.stringify(history)).not.toContain(ACME);
    // Another tenant's token sees none of it.
    expect((await call('GET', `/v1/queues/default/jobs/${id}`, { token: GLOBEX })).status).toBe(404);
    await clearAlarm('acme');
  });

  it('works through the typed client, with errors as BatonHttpError', async () => {
    const client = createClient({ baseUrl: BASE, token: ACME, fetch: (r) => exports.default.fetch(r) }).queue('default');
    const { job } = await client.submit({ type: 'echo', payload: { text: 'typed' } }, { idempotencyKey: 'typed-1' });
    await expect.poll(async () => (await client.get(job.id))?.state).toBe('succeeded');
    expect((await client.get(job.id))?.result).toBe('typed');
    const [a] = await client.submitAll([{ type: 'echo', payload: { text: 'x' } }]);
    expect(a!.job.state).toBe('ready');
    expect((await client.list({ state: 'succeeded' })).jobs.map((j) => j.id)).toContain(job.id);
    const error = await client.submit({ type: 'teleport' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatonHttpError);
    expect(error).toMatchObject({ status: 400, code: 'validation', field: 'job.type', retryable: false });
    await clearAlarm('acme');
  });

  it('throttles and debounces by a dedupe key, and refuses an unknown mode', async () => {
    const submit = (text: string, mode: string) =>
      call('POST', '/v1/queues/emails/jobs', {
        token: GLOBEX,
        body: JSON.stringify({ type: 'echo', payload: { text }, delayMs: 60_000, dedupe: { key: 'digest', mode } }),
      });
    const first = await submit('one', 'throttle');
    expect(first.status).toBe(201);
    const throttled = await submit('two', 'throttle');
    expect(throttled.status).toBe(200);
    expect(throttled.body).toMatchObject({ deduplicated: true, job: { id: first.body.job.id } });
    const debounced = await submit('three', 'debounce');
    expect(debounced.status).toBe(201);
    expect(debounced.body.job.dedupe).toEqual({ key: 'digest', mode: 'debounce' });
    const replaced = await call('GET', `/v1/queues/emails/jobs/${first.body.job.id}`, { token: GLOBEX });
    expect(replaced.body).toMatchObject({ state: 'cancelled' });
    expect(replaced.body.history.at(-1)!.cause.code).toBe('debounced');
    const bad = await submit('four', 'squash');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('dedupe.mode');
    await call('POST', `/v1/queues/emails/jobs/${debounced.body.job.id}/cancel`, { token: GLOBEX });
  });
  it('sends a signal a job waits for, validated, through the API and the typed client', async () => {
    const submitted = await call('POST', '/v1/queues/emails/jobs', { token: GLOBEX, body: JSON.stringify({ type: 'approve' }) });
    const id = submitted.body.job.id as string;
    await expect.poll(async () => (await call('GET', `/v1/queues/emails/jobs/${id}`, { token: GLOBEX })).body.state).toBe('scheduled');
    const bad = await call('POST', `/v1/queues/emails/jobs/${id}/signals/verdict`, { token: GLOBEX, body: JSON.stringify({ payload: 1, extra: true }) });
    expect(bad.status).toBe(400);
    const client = createClient({ baseUrl: BASE, token: GLOBEX, fetch: (request) => exports.default.fetch(request) }).queue('emails');
    const signalled = await client.signal(id, 'verdict', { approved: true });
    expect(signalled.id).toBe(id);
    await expect.poll(async () => (await call('GET', `/v1/queues/emails/jobs/${id}`, { token: GLOBEX })).body.state).toBe('succeeded');
    expect((await call('GET', `/v1/queues/emails/jobs/${id}`, { token: GLOBEX })).body.result).toEqual({ approved: true });
    const late = await call('POST', `/v1/queues/emails/jobs/${id}/signals/verdict`, { token: GLOBEX, body: '{}' });
    expect(late.status).toBe(409);
    const missing = await call('POST', '/v1/queues/emails/jobs/nope/signals/verdict', { token: GLOBEX, body: '{}' });
    expect(missing.status).toBe(404);
  });
  it('fans out 1,000 children from one handler and joins them, in one object', async () => {
    const started = Date.now();
    const submitted = await call('POST', '/v1/queues/default/jobs', { token: GLOBEX, body: JSON.stringify({ type: 'fanout', payload: { n: 1000 } }) });
    expect(submitted.status).toBe(201);
    const id = submitted.body.job.id as string;
    await expect
      .poll(async () => (await call('GET', `/v1/queues/default/jobs/${id}`, { token: GLOBEX })).body.state, { timeout: 60_000, interval: 100 })
      .toBe('succeeded');
    const done = await call('GET', `/v1/queues/default/jobs/${id}`, { token: GLOBEX });
    expect(done.body.result).toBe(1000);
    expect(done.body.dependsOn).toHaveLength(1000);
    console.log(`[fan-out] 1,000 children spawned, run and joined in one Durable Object in ${Date.now() - started} ms (workerd, local)`);
  }, 90_000);
  it('makes, lists, pauses, resumes and deletes schedules over HTTP, refusing bad ones by field', async () => {
    const put = (id: string, body: unknown) => call('PUT', `/v1/queues/emails/schedules/${id}`, { token: GLOBEX, body: JSON.stringify(body) });
    const made = await put('digest', { cron: '0 0 9 * * 1', timezone: 'Europe/Paris', job: { type: 'echo', payload: { text: 'weekly' } } });
    expect(made.status).toBe(200);
    expect(made.body).toMatchObject({ id: 'digest', missed: 'once', overlap: 'skip', paused: false });
    const listed = await call('GET', '/v1/queues/emails/schedules', { token: GLOBEX });
    expect((listed.body as unknown as { schedules: Array<{ id: string }> }).schedules.map((s) => s.id)).toEqual(['digest']);
    expect((await call('POST', '/v1/queues/emails/schedules/digest/pause', { token: GLOBEX })).body).toMatchObject({ paused: true, nextAtMs: null });
    expect((await call('POST', '/v1/queues/emails/schedules/digest/resume', { token: GLOBEX })).body).toMatchObject({ paused: false });
    const bad = await put('bad', { cron: 'every monday', job: { type: 'echo' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('schedule.cron');
    const queued = await put('bad', { everyMs: 1_000, job: { type: 'echo', queue: 'default' } });
    expect(queued.status).toBe(400);
    expect(queued.body.error.field).toBe('job.queue');
    expect((await call('DELETE', '/v1/queues/emails/schedules/digest', { token: GLOBEX })).status).toBe(200);
    expect((await call('DELETE', '/v1/queues/emails/schedules/digest', { token: GLOBEX })).status).toBe(404);
    await clearAlarm('globex', 'emails');
  });
});
