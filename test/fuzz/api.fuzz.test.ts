/**
 * A seeded fuzz run of the edge HTTP API under a real `wrangler dev`
 * (workerd, SQLite on disk): hostile and malformed requests from
 * `requests.ts`, each answer held to `invariants.ts`, and the storage of
 * every (tenant, queue) object checked against what the answers said.
 *
 * Two tenants: `demo` (the development token, the caller) and `other`,
 * seeded with real jobs whose ids the caller then asks about (and whose
 * token it sometimes borrows). Every POST is followed by a count of the
 * addressed object's jobs (`GET …/metrics`), every accepted submit by reads
 * of its jobs, every request about another tenant's job by the same request
 * about a made-up id; all four objects are counted every 50 requests.
 * Answers the runtime gives before the Worker (workerd, wrangler dev's
 * proxy: see `runtimeAnswer`) are counted apart.
 *
 * BATON_FUZZ_REQUESTS (default 400) and BATON_FUZZ_SEED (default
 * 20261129) set the run; a failure prints the seed and each offending
 * request (method, path, headers, the start of the body; BATON_FUZZ_SHOW
 * of them, default 10). The same seed sends the same requests, but for the
 * ids and times the server makes. `npm run fuzz:api` builds and runs 5,000.
 */
import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_TOKEN, startWranglerDev } from '../wrangler-dev.ts';
import {
  addressOf,
  type Answer,
  checkAnswer,
  foreignId,
  header,
  IdBook,
  type Outcome,
  parsedBody,
  runtimeAnswer,
  sentDisagreement,
  StorageModel,
  storedDisagreement,
  submittedOf,
  tenantOf,
  tryJson,
  type Violation,
} from './invariants.ts';
import { BODY_LIMIT, describeRequest, type FuzzRequest, RequestGenerator, type World } from './requests.ts';

const REQUESTS = Number(process.env.BATON_FUZZ_REQUESTS ?? 400);
const SEED = Number(process.env.BATON_FUZZ_SEED ?? 20_261_129);
/** How many violations to print in full. */
const SHOW = Number(process.env.BATON_FUZZ_SHOW ?? 10);

const QUEUES = ['default', 'emails'] as const;
const OWN = 'demo';
const OTHER = 'other';
const OTHER_TOKEN = 'other-tenant-token-0123456789abcdef';
/** Requests per second to one object, from this suite (the object takes 200, bursts of 400). */
const PACE_PER_SECOND = 120;
/** No answer in this long is a hang (the longest wait the API holds is 25 s). */
const ANSWER_TIMEOUT_MS = 35_000;
/** How long to read an event stream before hanging up. */
const STREAM_READ_MS = 300;
/** Every this many requests, every object's count is checked, not only the one addressed. */
const SWEEP_EVERY = 50;

let edge: { url: string; token: string; stop(): void };
const tokens: Record<string, string> = { [DEV_TOKEN]: OWN, [OTHER_TOKEN]: OTHER };
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** How much each check did, for the summary: a check that never ran proves nothing. */
const tally = { verified: 0, accepted: 0, compared: 0, twins: 0, mustRefuse: 0 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Spaces the requests to each object: the suite should meet the rate limit by accident, not by design. */
class Pacer {
  private readonly next = new Map<string, number>();

  async take(key: string): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.next.get(key) ?? 0);
    this.next.set(key, at + 1000 / PACE_PER_SECOND);
    if (at - now > 250) await sleep(at - now - 250);
  }
}
const pacer = new Pacer();

/** Sends `request` as it is: the raw path, the headers as given, the body as bytes. */
function send(request: FuzzRequest): Promise<Outcome> {
  const url = new URL(edge.url);
  return new Promise<Outcome>((resolve) => {
    let done = false;
    const finish = (outcome: Outcome) => {
      if (!done) {
        done = true;
        resolve(outcome);
      }
    };
    const started = performance.now();
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== null && !request.chunked) headers['content-length'] = String(request.body.length);
    // A large, chunked or streamed exchange gets a connection of its own.
    const own = request.chunked || request.stream || (request.body?.length ?? 0) > 64 * 1024;
    let req: ReturnType<typeof httpRequest>;
    try {
      req = httpRequest({ host: url.hostname, port: url.port, method: request.method, path: request.path, headers, agent: own ? false : agent }, (res) => {
        const chunks: Buffer[] = [];
        const complete = () => {
          const body = Buffer.concat(chunks);
          const flat: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
          const answer: Answer = { status: res.statusCode ?? 0, headers: flat, body, text: body.toString('utf8'), ms: performance.now() - started };
          finish({ ok: true, answer });
        };
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', complete);
        res.on('error', (error) => finish({ ok: false, error: `response: ${error.message}` }));
        if (request.stream) {
          setTimeout(() => {
            complete();
            res.destroy();
          }, STREAM_READ_MS);
        }
      });
    } catch (error) {
      // Node would not send it (an invalid header or path): nothing reached the server.
      finish({ ok: false, error: `unsendable: ${(error as Error).message}` });
      return;
    }
    req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${ANSWER_TIMEOUT_MS} ms`)));
    req.on('error', (error) => finish({ ok: false, error: error.message }));
    if (request.body !== null && request.chunked) {
      const third = Math.ceil(request.body.length / 3);
      for (let at = 0; at < request.body.length; at += third) req.write(request.body.subarray(at, at + third));
      req.end();
    } else req.end(request.body ?? undefined);
  });
}

/** A request the suite makes itself (to seed, to check): paced, and tried again after a 429. */
async function call(tenant: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const token = Object.entries(tokens).find(([, t]) => t === tenant)![0];
  const queue = addressOf(path).queue;
  for (let attempt = 0; ; attempt++) {
    if (queue !== null) await pacer.take(`${tenant}/${queue}`);
    const outcome = await send({
      n: -1,
      label: 'check',
      method,
      path,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : Buffer.from(JSON.stringify(body)),
      chunked: false,
      stream: false,
      mustRefuse: undefined,
    });
    if (!outcome.ok) throw new Error(`${method} ${path}: ${outcome.error}`);
    if (outcome.answer.status === 429 && attempt < 20) {
      await sleep(1000 * Number(outcome.answer.headers['retry-after'] ?? 1));
      continue;
    }
    return { status: outcome.answer.status, json: tryJson(outcome.answer.text) };
  }
}

async function countJobs(tenant: string, queue: string): Promise<number> {
  const { status, json } = await call(tenant, 'GET', `/v1/queues/${queue}/metrics`);
  if (status !== 200) throw new Error(`metrics of ${tenant}/${queue}: ${status} ${JSON.stringify(json)}`);
  const depth = (json as { depth: Record<string, { total: number }> }).depth;
  return Object.values(depth).reduce((sum, d) => sum + d.total, 0);
}

const ids = new IdBook();
const ownIds = new Map<string, string[]>(QUEUES.map((q) => [q, []]));
const otherIds: string[] = [];
const world: World = {
  queues: QUEUES,
  tokens: { own: DEV_TOKEN, other: OTHER_TOKEN },
  ownIds: (queue) => ownIds.get(queue) ?? [],
  otherIds: () => otherIds,
};
const model = new StorageModel(countJobs);

function remember(tenant: string, queue: string, id: string): void {
  if (ids.of(tenant).has(id)) return;
  ids.add(tenant, id);
  if (tenant === OWN) ownIds.get(queue)!.push(id);
  else otherIds.push(id);
}

async function seed(tenant: string, queue: string, job: Record<string, unknown>): Promise<void> {
  const { status, json } = await call(tenant, 'POST', `/v1/queues/${queue}/jobs`, job);
  if (status !== 201) throw new Error(`seeding ${tenant}/${queue}: ${status} ${JSON.stringify(json)}`);
  remember(tenant, queue, (json as { job: { id: string } }).job.id);
}

beforeAll(async () => {
  edge = await startWranglerDev({ [OTHER_TOKEN]: OTHER });
  // Real jobs in every state the API reaches quickly: done, waiting an hour, failed for good, running a while.
  const jobs = [
    { type: 'render', payload: { template: 'Hello, {name}!', name: 'B' } },
    { type: 'render', payload: { template: 'later', name: '' }, delayMs: 3_600_000 },
    { type: 'email', payload: { to: 'not-an-address', subject: 'x' } },
    { type: 'slow', payload: { ms: 500 } },
  ];
  for (const tenant of [OTHER, OWN]) for (const queue of QUEUES) for (const job of jobs) await seed(tenant, queue, job);
  for (const tenant of [OWN, OTHER]) for (const queue of QUEUES) await model.baseline(tenant, queue, -1);
}, 90_000);

afterAll(() => {
  agent.destroy();
  edge?.stop();
});

/** The checks of an accepted submit: where its jobs went, that they are stored as answered, and as sent. */
async function acceptedSubmit(request: FuzzRequest, tenant: string, answer: Answer, violations: Violation[]): Promise<string | null> {
  const submitted = submittedOf(tryJson(answer.text));
  if (submitted === null) return null;
  const fail = (check: Violation['check'], message: string) =>
    violations.push({ check, message, request, status: answer.status, answer: answer.text.slice(0, 500) });
  const fresh = submitted.entries.filter((e) => !e.deduplicated).length;
  if ((answer.status === 201) !== fresh > 0) fail('answer-vs-request', `${answer.status} for ${fresh} new job(s) of ${submitted.entries.length}`);

  // The object it went to: the queue the path names, as the oracle reads it, or another of the tenant's.
  const predicted = addressOf(request.path).queue;
  const order = [...QUEUES].sort((a, b) => (a === predicted ? -1 : b === predicted ? 1 : 0));
  const first = submitted.entries[0]!.job;
  let queue: string | null = null;
  for (const q of order) {
    const { status } = await call(tenant, 'GET', `/v1/queues/${q}/jobs/${encodeURIComponent(String(first.id))}`);
    if (status === 200) {
      queue = q;
      break;
    }
  }
  if (queue === null) {
    fail('answer-vs-storage', `accepted job ${String(first.id)} is in none of ${tenant}'s queues`);
    return null;
  }
  model.created(tenant, queue, fresh);
  tally.accepted++;
  for (const entry of submitted.entries) remember(tenant, queue, String(entry.job.id));

  // Stored as answered: the first, the last and one between.
  const n = submitted.entries.length;
  for (const i of [...new Set([0, n - 1, Math.floor(n / 2)])]) {
    const entry = submitted.entries[i]!;
    const { status, json } = await call(tenant, 'GET', `/v1/queues/${queue}/jobs/${encodeURIComponent(String(entry.job.id))}`);
    if (status !== 200) fail('answer-vs-storage', `accepted job ${String(entry.job.id)} reads back as ${status}`);
    else {
      tally.compared++;
      const diff = storedDisagreement(entry.job, json as Record<string, unknown>);
      if (diff.length > 0) fail('answer-vs-storage', `jobs[${i}] answered and stored differ: ${diff.join('; ')}`);
    }
  }

  // Answered as sent (the body as the server reads it).
  const sent = parsedBody(request);
  if (sent.ok) {
    const headerKey = submitted.batch ? undefined : header(request.headers, 'idempotency-key');
    const inputs: unknown[] = submitted.batch ? ((sent.value as { jobs?: unknown[] }).jobs ?? []) : [sent.value];
    submitted.entries.forEach((entry, i) => {
      const input = inputs[i];
      if (entry.deduplicated || typeof input !== 'object' || input === null) return;
      const diff = sentDisagreement(entry.job, input as Record<string, unknown>, headerKey);
      if (diff.length > 0) fail('answer-vs-request', `jobs[${i}] answered other than sent: ${diff.join('; ')}`);
    });
  }
  return queue;
}

/**
 * Another tenant's job does not exist for the caller: the answer about it
 * is the answer about a job that never was (the same request with a
 * made-up id of the same length), id for id.
 */
async function compareWithTwin(request: FuzzRequest, tenant: string, answer: Answer, violations: Violation[]): Promise<void> {
  const { id, route } = addressOf(request.path);
  if (id === null || !['job', 'steps', 'cancel', 'retry'].includes(route) || !foreignId(ids, tenant, id) || !request.path.includes(id)) return;
  // `v…` ids are thousands of years ahead of any the server makes.
  const fake = `vvvvvvvvvv${id.slice(10)}`;
  const queue = addressOf(request.path).queue;
  if (queue !== null) await pacer.take(`${tenant}/${queue}`);
  const twin = await send({ ...request, path: request.path.replace(id, fake) });
  if (!twin.ok || twin.answer.status === 429 || answer.status === 429) return;
  tally.twins++;
  const theirs = twin.answer.text.replaceAll(fake, id);
  if (twin.answer.status !== answer.status || theirs !== answer.text) {
    violations.push({
      check: 'cross-tenant-id',
      message: `${tenant} asked about another tenant's job ${id}: answered ${answer.status}, where a made-up id gets ${twin.answer.status} ${theirs.slice(0, 300)}`,
      request,
      status: answer.status,
      answer: answer.text.slice(0, 500),
    });
  }
}

/** Each object's count against the model: after a POST to it, and every SWEEP_EVERY requests for all. */
async function verify(tenant: string, queue: string, request: FuzzRequest, status: number, violations: Violation[]): Promise<void> {
  const diff = await model.verify(tenant, queue, request.n);
  tally.verified++;
  if (diff === null) return;
  const ok = status >= 200 && status < 300;
  violations.push({
    check: ok ? 'answer-vs-storage' : 'refused-stored',
    message: `${tenant}/${queue} holds ${diff.actual} jobs where the answers since request #${diff.since} add up to ${diff.expected}${
      request.n === diff.since + 1 ? '' : ` (requests #${diff.since + 1}–#${request.n}; this one was ${status})`
    }`,
    request,
    status,
    answer: '',
  });
}

it(
  `answers ${REQUESTS} seeded hostile requests with no 5xx, no leak and no refusal that stored something`,
  async () => {
    const started = performance.now();
    const generator = new RequestGenerator(SEED, world);
    const violations: Violation[] = [];
    const statuses = new Map<string, number>();
    const kinds = new Map<string, number>();
    let rateLimited = 0;
    let unsendable = 0;
    const runtime = new Map<string, number>();
    let last: FuzzRequest | null = null;
    for (let i = 0; i < REQUESTS; i++) {
      const request = generator.next();
      last = request;
      if (request.mustRefuse !== undefined) tally.mustRefuse++;
      const tenant = tenantOf(request.headers, tokens);
      const { queue } = addressOf(request.path);
      const addressed = tenant !== null && queue !== null && (QUEUES as readonly string[]).includes(queue);
      if (addressed) await pacer.take(`${tenant}/${queue}`);
      const outcome = await send(request);
      const kind = request.label.split(/[[.+]/, 1)[0]!;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      if (!outcome.ok && outcome.error.startsWith('unsendable')) {
        unsendable++;
        statuses.set('unsendable', (statuses.get('unsendable') ?? 0) + 1);
        continue;
      }
      const status = outcome.ok ? outcome.answer.status : 0;
      statuses.set(outcome.ok ? String(status) : 'no answer', (statuses.get(outcome.ok ? String(status) : 'no answer') ?? 0) + 1);
      if (status === 429) rateLimited++;
      // The runtime's own refusals, before the Worker: counted, not held to the API's shape.
      const byRuntime = outcome.ok
        ? runtimeAnswer(request, outcome.answer)
        : (request.body?.length ?? 0) > BODY_LIMIT && /ECONNRESET|EPIPE|socket hang up/.test(outcome.error)
          ? `hung up on a body of ${request.body!.length} bytes (${outcome.error})`
          : null;
      if (byRuntime !== null) runtime.set(byRuntime, (runtime.get(byRuntime) ?? 0) + 1);
      else violations.push(...checkAnswer(request, outcome, { tokens, queues: QUEUES, ids }));
      if (outcome.ok && tenant !== null) await compareWithTwin(request, tenant, outcome.answer, violations);

      let located: string | null = null;
      if (outcome.ok && tenant !== null && request.method === 'POST' && status >= 200 && status < 300) {
        located = await acceptedSubmit(request, tenant, outcome.answer, violations);
      }
      if (tenant !== null && request.method === 'POST') {
        for (const q of new Set([queue, located]))
          if (q !== null && (QUEUES as readonly string[]).includes(q)) await verify(tenant, q, request, status, violations);
      }
      if (i % SWEEP_EVERY === SWEEP_EVERY - 1) for (const t of [OWN, OTHER]) for (const q of QUEUES) await verify(t, q, request, status, violations);
    }
    if (last !== null) for (const t of [OWN, OTHER]) for (const q of QUEUES) await verify(t, q, last, 0, violations);
    const seconds = (performance.now() - started) / 1000;

    const sorted = (m: Map<string, number>) => [...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}: ${n}`);
    console.log(
      [
        `API fuzz: seed ${SEED}, ${REQUESTS} requests in ${seconds.toFixed(1)} s`,
        `statuses: ${sorted(statuses).join(', ')}`,
        `kinds: ${sorted(kinds).join(', ')}`,
        `rate-limited answers: ${rateLimited}; unsendable by Node: ${unsendable}`,
        `answered by the runtime, not the Worker: ${runtime.size === 0 ? 'none' : sorted(runtime).join('; ')}`,
        `jobs known: ${OWN} ${ids.of(OWN).size}, ${OTHER} ${ids.of(OTHER).size}`,
        `checks: ${tally.verified} job counts, ${tally.accepted} accepted submits (${tally.compared} jobs read back), ${tally.twins} twin requests for another tenant's ids, ${tally.mustRefuse} requests that must be refused`,
        `violations: ${violations.length}`,
      ].join('\n'),
    );
    const byCheck = new Map<string, number>();
    for (const v of violations) byCheck.set(v.check, (byCheck.get(v.check) ?? 0) + 1);
    if (violations.length > 0) console.log(`violations by check: ${sorted(byCheck).join(', ')}`);
    const report = violations
      .slice(0, SHOW)
      .map((v) => `[${v.check}] ${v.message}\n${describeRequest(v.request)}\n→ ${v.status ?? 'no answer'} ${v.answer}`)
      .join('\n\n');
    expect(
      violations.length,
      `${violations.length} violation(s) with BATON_FUZZ_SEED=${SEED} BATON_FUZZ_REQUESTS=${REQUESTS} (the first ${SHOW}):\n\n${report}`,
    ).toBe(0);
  },
  REQUESTS * 150 + 60_000,
);

/** One request as the suite sends fuzz: headers as given (Node writes them as Latin-1 bytes), the body as bytes. */
function exactly(method: string, path: string, headers: Record<string, string>, body: string): FuzzRequest {
  return { n: -1, label: 'repro', method, path, headers, body: Buffer.from(body), chunked: false, stream: false, mustRefuse: undefined };
}

// Defects the fuzzer found, each as its minimal reproduction against the same server: they failed before their fix.
describe('defects the fuzzer found, fixed', () => {
  it('idempotency-key-not-utf8: two Idempotency-Keys that differ in a byte that is not UTF-8 are two keys', async () => {
    const submit = (key: string) =>
      send(
        exactly(
          'POST',
          '/v1/queues/default/jobs',
          { authorization: `Bearer ${DEV_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': key },
          '{"type":"render"}',
        ),
      );
    const suffix = Date.now().toString(36);
    // "caf\xE9-…" and "caf\xE8-…": Latin-1 é and è, each a byte that is not UTF-8.
    const first = await submit(`caf\u00e9-${suffix}`);
    const second = await submit(`caf\u00e8-${suffix}`);
    if (!first.ok || !second.ok) throw new Error('no answer');
    // Before the fix: 201, then 200 `deduplicated` with the first job, both keys stored as "caf\uFFFD-…".
    const refused = first.answer.status === 400 && second.answer.status === 400;
    const twoJobs = second.answer.status === 201 && tryJson(second.answer.text) !== undefined && !second.answer.text.includes('"deduplicated":true');
    expect(refused || twoJobs, `${first.answer.status} ${first.answer.text.slice(0, 200)}\n${second.answer.status} ${second.answer.text.slice(0, 200)}`).toBe(
      true,
    );
  });

  it('demo-downstream-not-json: POST …/downstream with a body that is not JSON is a 400, not a 500', async () => {
    const outcome = await send(
      exactly('POST', '/v1/queues/default/downstream', { authorization: `Bearer ${DEV_TOKEN}`, 'content-type': 'application/json' }, '{bad'),
    );
    if (!outcome.ok) throw new Error(outcome.error);
    // Before the fix: 500 {"error":{"code":"internal",…}}.
    expect(outcome.answer.status, outcome.answer.text).toBe(400);
  });
});
