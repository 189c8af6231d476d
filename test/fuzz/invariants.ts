/**
 * What must hold of every answer the edge API gives, whatever it was sent:
 * no 5xx; errors as `{"error":{"code","message",…}}` with the status of
 * their code; 429s with a `Retry-After`; no 2xx without a valid token; no
 * answer to one tenant naming another tenant's jobs; invalid input refused;
 * a refused submit stores nothing, and an accepted one stores what it says.
 *
 * These are written from the README's description of the API, not from its
 * code: the oracle does not share the implementation's tables.
 */
import { BODY_LIMIT, type FuzzRequest } from './requests.ts';

/** An answer as it came over the wire. */
export interface Answer {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly text: string;
  readonly ms: number;
}

export type Outcome = { readonly ok: true; readonly answer: Answer } | { readonly ok: false; readonly error: string };

export type Check =
  | 'no-5xx'
  | 'error-shape'
  | 'rate-limit-shape'
  | 'success-shape'
  | 'no-2xx-without-token'
  | 'must-refuse'
  | 'cross-tenant-leak'
  | 'cross-tenant-id'
  | 'refused-stored'
  | 'answer-vs-storage'
  | 'answer-vs-request'
  | 'transport';

export interface Violation {
  readonly check: Check;
  readonly message: string;
  readonly request: FuzzRequest;
  readonly status: number | null;
  /** The start of the answer's body. */
  readonly answer: string;
}

/** An error code's status, as the README's "At the edge" section gives it. */
export const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  validation: 400,
  'bad-json': 400,
  'dependency-cycle': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'unknown-job': 404,
  'unknown-queue': 404,
  'idempotency-conflict': 409,
  'illegal-transition': 409,
  'dependency-failed': 409,
  'store-conflict': 409,
  'too-large': 413,
  'unsupported-media-type': 415,
  'rate-limited': 429,
  'too-many-streams': 429,
  stopped: 503,
  'quota-exceeded': 507,
  'storage-full': 507,
  internal: 500,
};

/** The header `name`, whatever its case in `headers`. */
export function header(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/**
 * The tenant an `Authorization` header stands for, or `null`: the scheme
 * `Bearer` in any case, then spaces, then exactly a known token (a bare
 * token68). HTTP trims the value's ends.
 */
export function tenantOf(headers: Readonly<Record<string, string>>, tokens: Readonly<Record<string, string>>): string | null {
  const value = header(headers, 'authorization');
  if (value === undefined) return null;
  const match = /^bearer [ \t]*([A-Za-z0-9._~+/-]+=*)$/i.exec(value.replace(/^[ \t]+|[ \t]+$/g, ''));
  if (match === null) return null;
  return Object.hasOwn(tokens, match[1]!) ? tokens[match[1]!]! : null;
}

export type Route = 'submit' | 'wait' | 'job' | 'steps' | 'cancel' | 'retry' | 'list' | 'metrics' | 'events' | 'ledger' | 'openapi' | 'other';

/** What a path addresses, as best the oracle can tell (segments percent-decoded). */
export function addressOf(path: string): { queue: string | null; id: string | null; route: Route } {
  const pathname = path.split(/[?#]/, 1)[0]!;
  if (pathname === '/v1/openapi.json') return { queue: null, id: null, route: 'openapi' };
  const parts = pathname.split('/');
  if (parts.length < 4 || parts[0] !== '' || parts[1] !== 'v1' || parts[2] !== 'queues') return { queue: null, id: null, route: 'other' };
  const decode = (segment: string) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  };
  const queue = decode(parts[3]!);
  const rest = parts.slice(4);
  const route: Route =
    rest.length === 1 && rest[0] === 'jobs'
      ? 'list'
      : rest.length === 2 && rest[0] === 'jobs' && rest[1] === 'wait'
        ? 'wait'
        : rest.length === 2 && rest[0] === 'jobs'
          ? 'job'
          : rest.length === 3 && rest[0] === 'jobs' && (rest[2] === 'cancel' || rest[2] === 'retry' || rest[2] === 'steps')
            ? (rest[2] as Route)
            : rest.length === 1 && (rest[0] === 'metrics' || rest[0] === 'events' || rest[0] === 'ledger')
              ? (rest[0] as Route)
              : 'other';
  const id = route === 'job' || route === 'steps' || route === 'cancel' || route === 'retry' ? decode(rest[1]!) : null;
  return { queue, id, route };
}

/** The route a method and path reach: a POST to the list is a submit. */
export function routeOf(method: string, path: string): Route {
  const { route } = addressOf(path);
  return route === 'list' && method === 'POST' ? 'submit' : route;
}

/** Job ids are 26 characters of base32hex (`0-9a-v`): every window of a longer run is looked up. */
const ID_RUN = /[0-9a-v]{26,}/g;

export function idsIn(text: string, known: ReadonlySet<string>): string[] {
  const found: string[] = [];
  if (known.size === 0) return found;
  for (const m of text.matchAll(ID_RUN)) {
    const run = m[0];
    for (let i = 0; i + 26 <= run.length; i++) {
      const id = run.slice(i, i + 26);
      if (known.has(id)) found.push(id);
    }
  }
  return found;
}

/** The ids of the jobs each tenant created, as their accepted submits said. */
export class IdBook {
  private readonly byTenant = new Map<string, Set<string>>();

  add(tenant: string, id: string): void {
    let ids = this.byTenant.get(tenant);
    if (ids === undefined) {
      ids = new Set();
      this.byTenant.set(tenant, ids);
    }
    ids.add(id);
  }

  of(tenant: string): ReadonlySet<string> {
    return this.byTenant.get(tenant) ?? new Set();
  }

  /** Which tenant created `id`, if one did. */
  owner(id: string): string | null {
    for (const [tenant, ids] of this.byTenant) if (ids.has(id)) return tenant;
    return null;
  }

  /** Ids of tenants other than `tenant` (of all, for `null`) in `text`. */
  foreign(tenant: string | null, text: string): string[] {
    const found: string[] = [];
    for (const [owner, ids] of this.byTenant) if (owner !== tenant) found.push(...idsIn(text, ids));
    return found;
  }
}

/** The request as text: what an answer may echo back (an id in the path is not a leak). */
export function requestText(request: FuzzRequest): string {
  let path = request.path;
  try {
    path += ` ${decodeURIComponent(request.path)}`;
  } catch {
    // not decodable: the raw path is what there is
  }
  return [path, ...Object.values(request.headers), request.body?.toString('utf8') ?? ''].join('\n');
}

/** The body as the server reads it (UTF-8, bad bytes replaced, a BOM dropped), parsed; `undefined` when it is not JSON. */
export function parsedBody(request: FuzzRequest): { ok: true; value: unknown } | { ok: false } {
  if (request.body === null) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(new TextDecoder().decode(request.body)) };
  } catch {
    return { ok: false };
  }
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;

export interface AnswerContext {
  /** token → tenant */
  readonly tokens: Readonly<Record<string, string>>;
  readonly queues: readonly string[];
  readonly ids: IdBook;
}

function excerpt(text: string, chars = 500): string {
  return text.length <= chars ? text : `${text.slice(0, chars)}… (${text.length} characters)`;
}

/** Whether `id` is a job of a tenant other than `tenant` (and not one of its own). */
export function foreignId(ids: IdBook, tenant: string, id: string): boolean {
  const owner = ids.owner(id);
  return owner !== null && owner !== tenant && !ids.of(tenant).has(id);
}

const DEV_ENTRY_WORKER = 'miniflare/dist/src/workers/core/entry.worker.js';

/**
 * Answers the runtime gives before or around the Worker, not the API's
 * (and not held to its shape), each matched by its exact text:
 * - workerd's HTTP server refusing a method it does not know (501) or a URL
 *   too long (414);
 * - a request target that is not a path (`GET *`): workerd cannot make a
 *   URL of it (500 "Internal Server Error", or the stack from wrangler dev's
 *   entry worker); Cloudflare's edge would not deliver it;
 * - wrangler dev's proxy losing the connection (500 "Network connection
 *   lost") when the Worker answers 413 before a chunked oversized body has
 *   all arrived: its proxy, not the Worker, fails (the Worker logs a 413).
 * `null` for any other answer.
 */
export function runtimeAnswer(request: FuzzRequest, answer: Answer): string | null {
  if (answer.status === 501 && answer.text.startsWith('ERROR: Unrecognized request method.')) return `workerd: unknown method ${request.method}`;
  if (answer.status === 414 && answer.text.startsWith('URI too long')) return 'workerd: URI too long';
  if (answer.status === 500 && !request.path.startsWith('/')) {
    if (answer.text === 'Internal Server Error' && answer.headers['content-type'] === undefined)
      return `workerd: request target ${JSON.stringify(request.path)}`;
    if (answer.text.startsWith('TypeError: Fetch API cannot load: ') && answer.text.includes(DEV_ENTRY_WORKER))
      return `wrangler dev: request target ${JSON.stringify(request.path)}`;
  }
  if (
    answer.status === 500 &&
    request.chunked &&
    (request.body?.length ?? 0) > BODY_LIMIT &&
    answer.text.startsWith('Error: Network connection lost.') &&
    answer.text.includes(DEV_ENTRY_WORKER)
  ) {
    return 'wrangler dev: its proxy lost the connection on a 413 to a chunked body';
  }
  return null;
}

/** The checks that need only the request and its answer. */
export function checkAnswer(request: FuzzRequest, outcome: Outcome, ctx: AnswerContext): Violation[] {
  const violations: Violation[] = [];
  if (!outcome.ok) {
    violations.push({ check: 'transport', message: `no answer: ${outcome.error}`, request, status: null, answer: '' });
    return violations;
  }
  const { answer } = outcome;
  const { status } = answer;
  const fail = (check: Check, message: string) => violations.push({ check, message, request, status, answer: excerpt(answer.text) });
  const tenant = tenantOf(request.headers, ctx.tokens);
  const address = addressOf(request.path);
  const route = routeOf(request.method, request.path);
  const head = request.method === 'HEAD';
  // The API is /v1/…; other paths are the demo's static page (wrangler.toml's assets), held only to no 5xx and no leak.
  const api = request.path.startsWith('/v1/');
  const body = head ? undefined : tryJson(answer.text);

  if (status >= 500) fail('no-5xx', `${status}: a 5xx is a bug`);

  if (status >= 400 && !head && api) {
    const error = (body as { error?: { code?: unknown; message?: unknown; retryable?: unknown } } | undefined)?.error;
    if (!/^application\/json\b/i.test(answer.headers['content-type'] ?? ''))
      fail('error-shape', `error answered as ${answer.headers['content-type'] ?? 'no content type'}, not JSON`);
    if (error === undefined || typeof error !== 'object' || error === null) fail('error-shape', 'error body is not {"error":{…}}');
    else {
      if (typeof error.code !== 'string' || typeof error.message !== 'string') fail('error-shape', 'error has no string `code` and `message`');
      else if (STATUS_OF_CODE[error.code] !== status)
        fail('error-shape', `code ${error.code} answered with ${status}, not ${STATUS_OF_CODE[error.code] ?? '(an unknown code)'}`);
      if (typeof error.retryable !== 'boolean') fail('error-shape', 'error has no boolean `retryable`');
    }
  }

  if (status === 429) {
    const retryAfter = answer.headers['retry-after'];
    const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
    if (retryAfter === undefined || !/^[1-9]\d*$/.test(retryAfter)) fail('rate-limit-shape', `429 without a Retry-After of whole seconds (${retryAfter})`);
    if (!head && code !== 'rate-limited' && code !== 'too-many-streams') fail('rate-limit-shape', `429 with code ${String(code)}`);
  }

  const ok = status >= 200 && status < 300;
  // Public: the OpenAPI document, and CORS preflights (a preflight carries no token).
  const isPublic = (address.route === 'openapi' && (request.method === 'GET' || request.method === 'HEAD')) || request.method === 'OPTIONS';
  if (ok && tenant === null && !isPublic && api) fail('no-2xx-without-token', `${status} without a valid token`);

  const addressed = tenant !== null && address.queue !== null && ctx.queues.includes(address.queue);
  if (ok && addressed && request.mustRefuse !== undefined) {
    fail('must-refuse', `accepted (${status}) although ${request.mustRefuse}`);
  }
  if (ok && addressed && (route === 'submit' || route === 'wait') && request.method === 'POST') {
    const type = header(request.headers, 'content-type');
    if (!parsedBody(request).ok) fail('must-refuse', `accepted (${status}) a body that is not JSON`);
    else if (type === undefined || !JSON_TYPE.test(type.replace(/^[ \t]+/, ''))) fail('must-refuse', `accepted (${status}) content-type ${type ?? '(none)'}`);
  }

  if (ok && api && !head && !request.stream && request.method !== 'OPTIONS' && body === undefined)
    fail('success-shape', `${status} with a body that is not JSON`);

  // No answer to one tenant names another's jobs, except as it was asked about.
  const asked = requestText(request);
  const leaked = [...new Set(ctx.ids.foreign(tenant, answer.text))].filter((id) => !asked.includes(id));
  if (leaked.length > 0)
    fail('cross-tenant-leak', `the answer to ${tenant ?? 'no tenant'} names ${leaked.length} job(s) of another tenant: ${leaked.slice(0, 3).join(', ')}`);

  // A long poll on another tenant's jobs finds none of them (the answer to the path's ids is compared with a twin's by the runner).
  if (ok && tenant !== null && route === 'wait') {
    const sent = parsedBody(request);
    const asked = sent.ok ? (sent.value as { ids?: unknown }).ids : undefined;
    const jobs = (body as { jobs?: unknown } | undefined)?.jobs;
    if (Array.isArray(asked) && Array.isArray(jobs)) {
      asked.forEach((id, i) => {
        if (typeof id === 'string' && foreignId(ctx.ids, tenant, id) && jobs[i] !== null)
          fail('cross-tenant-id', `waiting on another tenant's job ${id} found it: ${excerpt(JSON.stringify(jobs[i]), 200)}`);
      });
    }
  }
  return violations;
}

export function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One entry of an accepted submit's answer. */
export interface Submitted {
  readonly job: Record<string, unknown>;
  readonly deduplicated: boolean;
}

/** The jobs an accepted submit answered with (one, or a batch's), or `null` if the answer is not one. */
export function submittedOf(body: unknown): { batch: boolean; entries: Submitted[] } | null {
  const isEntry = (e: unknown): e is Submitted =>
    typeof e === 'object' &&
    e !== null &&
    typeof (e as Submitted).job === 'object' &&
    (e as Submitted).job !== null &&
    typeof (e as Submitted).job.id === 'string' &&
    typeof (e as Submitted).deduplicated === 'boolean';
  if (isEntry(body)) return { batch: false, entries: [body] };
  const jobs = (body as { jobs?: unknown } | null)?.jobs;
  if (Array.isArray(jobs) && jobs.length > 0 && jobs.every(isEntry)) return { batch: true, entries: jobs };
  return null;
}

/** Fields a job keeps from its submit on: the answer and a later read must agree on them. */
export const STATIC_FIELDS = [
  'id',
  'type',
  'queue',
  'payload',
  'priority',
  'key',
  'idempotencyKey',
  'dependsOn',
  'onDependencyFailure',
  'retry',
  'timeoutMs',
  'deadlineAtMs',
  'leaseMs',
  'resource',
  'trace',
  'tags',
  'preemptible',
  'network',
  'createdAtMs',
] as const;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Where the submit answer and the stored job disagree. */
export function storedDisagreement(answered: Record<string, unknown>, stored: Record<string, unknown>): string[] {
  return STATIC_FIELDS.filter((f) => !same(answered[f], stored[f])).map(
    (f) => `${f}: answered ${excerpt(JSON.stringify(answered[f]) ?? 'undefined', 120)}, stored ${excerpt(JSON.stringify(stored[f]) ?? 'undefined', 120)}`,
  );
}

/** Where a new job in the answer differs from what was sent for it (`sent`: the job as the body gave it). */
export function sentDisagreement(answered: Record<string, unknown>, sent: Record<string, unknown>, headerKey: string | undefined): string[] {
  const out: string[] = [];
  const show = (v: unknown) => excerpt(JSON.stringify(v) ?? 'undefined', 120);
  if (answered.type !== sent.type) out.push(`type: sent ${show(sent.type)}, answered ${show(answered.type)}`);
  if (!same(answered.payload, sent.payload ?? null)) out.push(`payload: sent ${show(sent.payload)}, answered ${show(answered.payload)}`);
  for (const field of ['key', 'tags', 'resource'] as const) {
    if (sent[field] !== undefined && !same(answered[field], sent[field])) {
      out.push(`${field}: sent ${show(sent[field])}, answered ${show(answered[field])}`);
    }
  }
  if (typeof sent.priority === 'number' && answered.priority !== sent.priority) {
    out.push(`priority: sent ${sent.priority}, answered ${show(answered.priority)}`);
  }
  const key = headerKey ?? sent.idempotencyKey;
  if (key !== undefined && answered.idempotencyKey !== key) out.push(`idempotencyKey: sent ${show(key)}, answered ${show(answered.idempotencyKey)}`);
  return out;
}

/**
 * The jobs each (tenant, queue) object holds, as the model expects them
 * from accepted submits, against `GET …/metrics` (depth totals over every
 * state: nothing here deletes jobs, finished ones are kept).
 */
export class StorageModel {
  private readonly expected = new Map<string, number>();
  /** The request after which each object was last seen to match. */
  private readonly verifiedAt = new Map<string, number>();

  private readonly count: (tenant: string, queue: string) => Promise<number>;

  constructor(count: (tenant: string, queue: string) => Promise<number>) {
    this.count = count;
  }

  private static key(tenant: string, queue: string): string {
    return `${tenant}/${queue}`;
  }

  async baseline(tenant: string, queue: string, at: number): Promise<void> {
    this.expected.set(StorageModel.key(tenant, queue), await this.count(tenant, queue));
    this.verifiedAt.set(StorageModel.key(tenant, queue), at);
  }

  created(tenant: string, queue: string, n: number): void {
    const key = StorageModel.key(tenant, queue);
    this.expected.set(key, (this.expected.get(key) ?? 0) + n);
  }

  /** `null`, or how the count differs (and the model takes the count, so one fault is reported once). */
  async verify(tenant: string, queue: string, at: number): Promise<{ expected: number; actual: number; since: number } | null> {
    const key = StorageModel.key(tenant, queue);
    const actual = await this.count(tenant, queue);
    const expected = this.expected.get(key) ?? 0;
    const since = this.verifiedAt.get(key) ?? -1;
    this.verifiedAt.set(key, at);
    if (actual === expected) return null;
    this.expected.set(key, actual);
    return { expected, actual, since };
  }
}
