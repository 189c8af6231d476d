/**
 * The fuzz suite's oracle, checked on made-up answers: each invariant of
 * `invariants.ts` fires on the answer that breaks it and stays quiet on
 * the one that keeps it (a check that never fires proves nothing).
 */
import { describe, expect, it } from 'vitest';
import { addressOf, checkAnswer, IdBook, type Outcome, runtimeAnswer, StorageModel, tenantOf } from './invariants.ts';
import { type FuzzRequest, RequestGenerator, type World } from './requests.ts';

const OWN_TOKEN = 'dev-token-change-me';
const OTHER_TOKEN = 'other-tenant-token-0123456789abcdef';
const tokens = { [OWN_TOKEN]: 'demo', [OTHER_TOKEN]: 'other' };
const THEIRS = '01k8js46bmgkee8ep600000001';
const MINE = '01k8js46bmgkee8ep600000002';
const ids = new IdBook();
ids.add('other', THEIRS);
ids.add('demo', MINE);
const ctx = { tokens, queues: ['default', 'emails'], ids };
const AUTH = { authorization: `Bearer ${OWN_TOKEN}` };

function request(fields: Partial<FuzzRequest>): FuzzRequest {
  return {
    n: 0,
    label: 'made-up',
    method: 'GET',
    path: '/v1/queues/default/jobs',
    headers: {},
    body: null,
    chunked: false,
    stream: false,
    mustRefuse: undefined,
    ...fields,
  };
}

function answer(status: number, text: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Outcome {
  return { ok: true, answer: { status, headers, body: Buffer.from(text), text, ms: 1 } };
}

const checks = (r: FuzzRequest, o: Outcome) => checkAnswer(r, o, ctx).map((v) => v.check);
const error = (code: string) => `{"error":{"code":"${code}","message":"m","retryable":false}}`;

describe('the oracle', () => {
  it('knows a token only as `Bearer <token>`, the scheme in any case', () => {
    expect(tenantOf({ authorization: `Bearer ${OWN_TOKEN}` }, tokens)).toBe('demo');
    expect(tenantOf({ Authorization: `bEaReR  ${OTHER_TOKEN} ` }, tokens)).toBe('other');
    for (const value of [
      OWN_TOKEN,
      `Bearer ${OWN_TOKEN}x`,
      `Bearer${OWN_TOKEN}`,
      `Basic ${OWN_TOKEN}`,
      `Bearer ${OWN_TOKEN} ${OWN_TOKEN}`,
      'Bearer toString',
    ]) {
      expect(tenantOf({ authorization: value }, tokens), value).toBeNull();
    }
  });

  it('reads the queue, the route and the id of a path, percent-decoded', () => {
    expect(addressOf('/v1/queues/def%61ult/jobs/a%2Fb/cancel?x=1')).toEqual({ queue: 'default', id: 'a/b', route: 'cancel' });
    expect(addressOf('/v1/queues/emails/jobs/wait')).toEqual({ queue: 'emails', id: null, route: 'wait' });
    expect(addressOf('/v1/openapi.json').route).toBe('openapi');
    expect(addressOf('*').route).toBe('other');
  });

  it('holds answers to their invariants', () => {
    expect(checks(request({ headers: AUTH }), answer(200, '{"jobs":[],"cursor":null}'))).toEqual([]);
    expect(checks(request({}), answer(200, '{"jobs":[]}'))).toEqual(['no-2xx-without-token']);
    expect(checks(request({ headers: { authorization: `Bearer ${OWN_TOKEN}x` } }), answer(200, '{}'))).toEqual(['no-2xx-without-token']);
    expect(checks(request({ path: '/v1/openapi.json' }), answer(200, '{}'))).toEqual([]);
    expect(checks(request({ headers: AUTH }), answer(500, error('internal')))).toEqual(['no-5xx']);
    expect(checks(request({ headers: AUTH }), answer(404, error('validation')))).toEqual(['error-shape']);
    expect(checks(request({ headers: AUTH }), answer(400, 'Bad Request', { 'content-type': 'text/plain' }))).toEqual(['error-shape', 'error-shape']);
    expect(checks(request({ headers: AUTH }), answer(429, error('rate-limited')))).toEqual(['rate-limit-shape']);
    expect(checks(request({ headers: AUTH }), answer(429, error('rate-limited'), { 'content-type': 'application/json', 'retry-after': '1' }))).toEqual([]);
    expect(checks(request({ headers: AUTH }), answer(200, `{"jobs":[{"id":"${THEIRS}"}]}`))).toEqual(['cross-tenant-leak']);
    expect(checks(request({ headers: { authorization: `Bearer ${OTHER_TOKEN}` } }), answer(200, `{"jobs":[{"id":"${THEIRS}"}]}`))).toEqual([]);
    // An id the request itself names may come back (in an error message): that is an echo, not a leak.
    expect(
      checks(request({ headers: AUTH, path: `/v1/queues/default/jobs/${THEIRS}` }), answer(404, error('unknown-job').replace('"m"', `"${THEIRS}"`))),
    ).toEqual([]);
    expect(checks(request({ path: '/', headers: AUTH }), answer(405, ''))).toEqual([]);
  });

  it('holds submits to refusing what they must', () => {
    const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }, mustRefuse?: string) =>
      request({ method: 'POST', headers: { ...AUTH, ...headers }, body: Buffer.from(body), mustRefuse });
    expect(checks(post('{"type":"render"}'), answer(201, '{}'))).toEqual([]);
    expect(checks(post('{"type":'), answer(201, '{}'))).toEqual(['must-refuse']);
    expect(checks(post('{}', { 'content-type': 'text/plain' }), answer(201, '{}'))).toEqual(['must-refuse']);
    expect(checks(post('{}', undefined, 'priority 9'), answer(201, '{}'))).toEqual(['must-refuse']);
    expect(checks(post('{}', undefined, 'priority 9'), answer(400, error('validation')))).toEqual([]);
    const wait = request({
      method: 'POST',
      path: '/v1/queues/default/jobs/wait',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: Buffer.from(`{"ids":["${THEIRS}"]}`),
    });
    expect(checks(wait, answer(200, '{"jobs":[{"state":"ready"}]}'))).toEqual(['cross-tenant-id']);
    expect(checks(wait, answer(200, '{"jobs":[null]}'))).toEqual([]);
  });

  it("sets apart the runtime's own answers, by their exact text", () => {
    const runtime = (r: FuzzRequest, o: Outcome) => (o.ok ? runtimeAnswer(r, o.answer) : null);
    expect(runtime(request({ method: 'BATON' }), answer(501, 'ERROR: Unrecognized request method.', {}))).toMatch(/unknown method/);
    expect(runtime(request({ path: '*' }), answer(500, 'Internal Server Error', {}))).toMatch(/request target/);
    expect(runtime(request({}), answer(500, 'Internal Server Error', {}))).toBeNull();
    expect(runtime(request({}), answer(500, error('internal')))).toBeNull();
  });
});

describe('the storage model', () => {
  it('finds a count that the answers do not explain, once', async () => {
    let stored = 3;
    const model = new StorageModel(async () => stored);
    await model.baseline('demo', 'default', -1);
    model.created('demo', 'default', 2);
    stored = 5;
    expect(await model.verify('demo', 'default', 0)).toBeNull();
    stored = 6; // a refused submit that stored a job anyway
    expect(await model.verify('demo', 'default', 1)).toEqual({ expected: 5, actual: 6, since: 0 });
    expect(await model.verify('demo', 'default', 2)).toBeNull();
  });
});

describe('the generator', () => {
  const world: World = { queues: ['default', 'emails'], tokens: { own: OWN_TOKEN, other: OTHER_TOKEN }, ownIds: () => [MINE], otherIds: () => [THEIRS] };
  const run = (seed: number) => {
    const generator = new RequestGenerator(seed, world);
    return Array.from({ length: 300 }, () => generator.next());
  };

  it('makes the same requests from the same seed (but for times relative to now)', () => {
    const shape = (r: FuzzRequest) => [r.label, r.method, r.path, r.headers, r.body?.toString('latin1').replace(/\d{13}/g, 'T') ?? null];
    expect(run(7).map(shape)).toEqual(run(7).map(shape));
    expect(run(7).map((r) => r.label)).not.toEqual(run(8).map((r) => r.label));
  });

  it('keeps bodies up to a few times the limit, and long polls off jobs that could keep them waiting', () => {
    for (const r of run(11)) {
      expect(r.body?.length ?? 0).toBeLessThanOrEqual(4 * 1024 * 1024);
      const wait = /[?&]waitMs=(\d+)/.exec(r.path);
      if (wait !== null && Number(wait[1]) > 200 && r.path.includes(MINE)) throw new Error(`a long wait on an own job: ${r.path}`);
    }
  });
});
