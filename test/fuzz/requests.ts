/**
 * A seeded generator of hostile and malformed requests for the edge HTTP
 * API (`packages/edge/src/api.ts`): mutated jobs and batches, broken JSON
 * and encodings, wrong content types, odd methods, paths and query strings,
 * bad tokens and other tenants' tokens, idempotency keys, long polls, and
 * cancels and retries of ids that are not the caller's.
 *
 * The same seed and the same world (the ids the server has handed out so
 * far) give the same requests, but for times relative to now (`runAtMs`).
 * Requests are raw: the path is sent as written (no URL normalisation),
 * the body as bytes.
 */
import { SeededRandom } from '@baton/core/testing';

/** `maxBodyBytes`, the default. */
export const BODY_LIMIT = 256 * 1024;
/** Jobs per request and ids per `POST …/jobs/wait`. */
export const MAX_BATCH = 500;
const DAY_MS = 86_400_000;
/** Durations go up to 366 days. */
export const MAX_DURATION_MS = 366 * DAY_MS;

export interface FuzzRequest {
  /** Its place in the run (0-based). */
  readonly n: number;
  /** What the generator meant: `submit.mutated`, `wait`, `auth`, … */
  readonly label: string;
  readonly method: string;
  /** Sent as written: path and query, percent-encoded where it is. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | null;
  /** Send the body in chunks without a `content-length`. */
  readonly chunked: boolean;
  /** `GET …/events`: read the start of the stream, then hang up. */
  readonly stream: boolean;
  /**
   * Why the API must refuse this request when it is otherwise well
   * addressed (a valid token, a known queue): `undefined` when the
   * generator does not know.
   */
  readonly mustRefuse: string | undefined;
}

/** What the generator knows of the server: the tokens, and the job ids handed out so far. */
export interface World {
  readonly queues: readonly string[];
  /** The caller's token (tenant A) and another tenant's (B). */
  readonly tokens: { readonly own: string; readonly other: string };
  /** Ids of jobs tenant A created in `queue`. */
  ownIds(queue: string): readonly string[];
  /** Ids of jobs tenant B created (any queue). */
  otherIds(): readonly string[];
}

/** A seeded source of choices (mulberry32, `SeededRandom` from `@baton/core/testing`). */
export class Rng {
  private readonly random: SeededRandom;

  constructor(seed: number) {
    this.random = new SeededRandom(seed);
  }

  float(): number {
    return this.random.next();
  }

  /** An integer from `lo` to `hi`, both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing');
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** One of `entries`, each as likely as its weight. */
  weighted<T>(entries: ReadonlyArray<readonly [number, T]>): T {
    const total = entries.reduce((sum, [w]) => sum + w, 0);
    let at = this.float() * total;
    for (const [w, value] of entries) {
      at -= w;
      if (at < 0) return value;
    }
    return entries.at(-1)![1];
  }

  string(length: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.float() * alphabet.length)];
    return out;
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JobObject = { [key: string]: Json };

/** A value and whether the schema takes it (`null`: it depends, on the server's clock or its jobs). */
interface Hostile {
  readonly value: Json | undefined;
  readonly valid: boolean | null;
  readonly why: string;
}

const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuv';
/** A key that the JSON text turns into `"__proto__"` (an object literal cannot hold one as its own key). */
const PROTO = '__PROTO__';
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** Numbers that are not numbers, and strings that look like them. */
const NUMBERISH: readonly Json[] = ['NaN', 'Infinity', '-Infinity', '1e3', '0x10', ' 5', '5', '-0', '', '1_000', '١'];
const NOT_NUMBERS: readonly Json[] = [null, true, false, [], {}, [1], { value: 1 }, ...NUMBERISH];
const HUGE: readonly number[] = [1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 63, 5e-324, -5e-324, 1.7976931348623157e308];

/** Raw JSON number literals, valid and not, to put where a number was. */
const NUMBER_LITERALS: readonly string[] = [
  '1e400',
  '-1e400',
  '1e-400',
  '-0',
  '-0.0',
  '1E3',
  '123456789012345678901234567890',
  '0.1e1',
  '2.0',
  // Not JSON:
  '0x10',
  'NaN',
  'Infinity',
  '-Infinity',
  '+1',
  '.5',
  '1.',
  '01',
  '1e',
  '--1',
];

/** Bytes that are not UTF-8: a lone continuation, an overlong slash, a surrogate, past U+10FFFF, a cut sequence, 0xFF. */
const BAD_UTF8: readonly number[][] = [[0xff], [0xfe, 0xff], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc3], [0xe2, 0x82]];
/** Raw control characters (not JSON inside strings, except DEL), and the separators JSON allows. */
const CONTROL: readonly number[][] = [[0x00], [0x01], [0x08], [0x0a], [0x0d], [0x1b], [0x1f], [0x7f], [0xe2, 0x80, 0xa8], [0xe2, 0x80, 0xa9]];

const CONTENT_TYPES_OK: readonly string[] = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'Application/Json;charset=UTF-8',
  'application/json;charset=latin1',
  'application/json ; x=y',
  'application/json;',
];
const CONTENT_TYPES_BAD: readonly string[] = [
  'text/plain',
  'text/json',
  'application/jsonx',
  'application/json-patch+json',
  'application/vnd.api+json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '*/*',
  'json',
  'application/',
  'application/json, text/plain',
  'application/json5',
];

const METHODS_ODD: readonly string[] = ['PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'QUERY', 'PROPFIND', 'PURGE', 'M-SEARCH', 'BATON'];

/** A node of `depth` levels: arrays, objects, or both in turn. */
function nested(depth: number, kind: 'array' | 'object' | 'mixed'): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    const array = kind === 'array' || (kind === 'mixed' && i % 2 === 0);
    open += array ? '[' : '{"a":';
    close = (array ? ']' : '}') + close;
  }
  return `${open}1${close}`;
}

/** A JSON value nested `depth` levels (as a value, for payloads). */
function nestedValue(depth: number): Json {
  let value: Json = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { n: value };
  return value;
}

function encodeSegment(text: string): string {
  return encodeURIComponent(text);
}

export class RequestGenerator {
  readonly rng: Rng;
  private readonly world: World;
  private n = 0;
  /** Idempotency keys reused across requests: some repeat with the same job, some with another. */
  private readonly keys: string[] = [];

  constructor(seed: number, world: World) {
    this.rng = new Rng(seed);
    this.world = world;
  }

  next(): FuzzRequest {
    const r = this.rng;
    const draft = r.weighted<() => Draft>([
      [20, () => this.submitOne()],
      [10, () => this.submitRaw()],
      [8, () => this.submitBatch()],
      [3, () => this.deep()],
      [3, () => this.large()],
      [6, () => this.contentType()],
      [7, () => this.waitBody()],
      [8, () => this.getJob()],
      [6, () => this.list()],
      [7, () => this.cancelOrRetry()],
      [3, () => this.misc()],
      [6, () => this.oddRoute()],
      [6, () => this.idempotency()],
    ])();
    // Most requests carry the caller's token; some a broken one, or B's.
    const auth = r.chance(0.2) ? this.authorization() : { value: `Bearer ${this.world.tokens.own}`, label: '' };
    const headers: Record<string, string> = { ...draft.headers };
    if (auth.value !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) headers.authorization = auth.value;
    if (r.chance(0.05)) headers.origin = r.pick(['https://example.com', 'null', 'http://127.0.0.1']);
    const body = draft.body === undefined ? null : typeof draft.body === 'string' ? Buffer.from(draft.body, 'utf8') : draft.body;
    return {
      n: this.n++,
      label: auth.label === '' ? draft.label : `${draft.label}+${auth.label}`,
      method: draft.method,
      path: draft.path,
      headers,
      body,
      chunked: draft.chunked ?? false,
      stream: draft.stream ?? false,
      mustRefuse: draft.mustRefuse,
    };
  }

  // ---- pieces ----

  private queue(): string {
    return this.rng.pick(this.world.queues);
  }

  private base(queue = this.queue()): string {
    return `/v1/queues/${queue}`;
  }

  private json(headers: Record<string, string> = {}): Record<string, string> {
    return { 'content-type': this.rng.pick(CONTENT_TYPES_OK), ...headers };
  }

  /** An id to address: the caller's, B's, made up, long, or odd. */
  private id(queue: string): { id: string; raw: boolean } {
    const r = this.rng;
    const own = this.world.ownIds(queue);
    const otherQueue = this.world.queues.find((q) => q !== queue) ?? queue;
    const elsewhere = this.world.ownIds(otherQueue);
    const theirs = this.world.otherIds();
    return r.weighted<() => { id: string; raw: boolean }>([
      [own.length > 0 ? 8 : 0, () => ({ id: r.pick(own), raw: false })],
      [elsewhere.length > 0 ? 2 : 0, () => ({ id: r.pick(elsewhere), raw: false })],
      [theirs.length > 0 ? 8 : 0, () => ({ id: r.pick(theirs), raw: false })],
      [3, () => ({ id: r.string(26, ID_ALPHABET), raw: false })],
      [1, () => ({ id: r.string(r.pick([511, 512, 513, 4096, 20_000]), ID_ALPHABET), raw: false })],
      [
        3,
        () => ({
          id: r.pick([
            '..',
            '%2e%2e',
            '..%2F..%2Fmetrics',
            '%2F',
            'a%2Fb',
            '%00',
            '%ZZ',
            '%E2%9C%93',
            '%FF',
            '%C0%AF',
            '%25',
            'wait',
            'metrics',
            '%20',
            '+',
            'null',
          ]),
          raw: true,
        }),
      ],
    ])();
  }

  private idSegment(queue: string): string {
    const { id, raw } = this.id(queue);
    return raw ? id : encodeSegment(id);
  }

  /** A `waitMs` that keeps a run short: long ones only where nothing will be waited for. */
  private waitQuery(long: boolean): { query: string; bad: string | undefined } {
    const r = this.rng;
    const good = long ? ['0', '1', '25', '100', '25000', '24999'] : ['0', '1', '25', '100', '200'];
    const bad = ['1e3', '0x10', '%205', '-0', 'NaN', '-1', '25001', '99999999', '1.5', '', '00', '007', 'Infinity', '1%00'];
    if (r.chance(0.6)) return { query: '', bad: undefined };
    if (r.chance(0.5)) return { query: `?waitMs=${r.pick(good)}`, bad: undefined };
    // Repeated: the first one counts (hono's `query()`); not refused.
    if (r.chance(0.2)) return { query: `?waitMs=${r.pick(good)}&waitMs=${r.pick([...good, ...bad])}`, bad: undefined };
    if (r.chance(0.2)) return { query: `?waitMs=${r.pick(good)}&limit=5`, bad: 'unknown query parameter' };
    const value = r.pick(bad);
    return { query: `?waitMs=${value}`, bad: `waitMs=${value}` };
  }

  // ---- jobs ----

  /** A valid job for one of the demo's handlers, with some optional fields. */
  private validJob(queue: string): JobObject {
    const r = this.rng;
    const own = this.world.ownIds(queue);
    const job: JobObject = r.weighted<() => JobObject>([
      [6, () => ({ type: 'render', payload: { template: r.pick(['Hello, {name}!', '{name}{name}', '', '✓ {name}']), name: r.string(r.int(0, 12)) } })],
      [2, () => ({ type: 'email', payload: { to: r.pick(['ada@example.com', 'not-an-address', 'x@y']), subject: r.string(8) } })],
      [2, () => (own.length > 0 ? { type: 'sum', payload: null, dependsOn: [r.pick(own)] } : { type: 'sum' })],
      [2, () => ({ type: 'append', payload: { key: `fuzz-${r.string(4)}`, seq: r.int(0, 1000) } })],
      [1, () => ({ type: 'slow', payload: { ms: r.int(0, 300) } })],
    ])();
    if (r.chance(0.3)) job.priority = r.int(0, 4);
    if (r.chance(0.15)) job.key = `k-${r.string(2)}`;
    if (r.chance(0.2)) job.fairnessKey = `t-${r.int(0, 3)}`;
    if (r.chance(0.1)) job.tags = [r.string(5), r.string(3)];
    if (r.chance(0.1)) job.delayMs = r.pick([0, 10, 1000, 3_600_000]);
    if (r.chance(0.05)) job.timeoutMs = r.pick([1, 1000, 60_000]);
    if (r.chance(0.05)) job.leaseMs = r.pick([1000, 60_000]);
    if (r.chance(0.05)) job.retry = { maxAttempts: r.int(1, 5), backoff: { kind: r.pick(['constant', 'linear', 'exponential']), delayMs: r.int(0, 500) } };
    if (r.chance(0.05)) job.trace = { traceparent: TRACEPARENT, tracestate: 'a=1' };
    if (r.chance(0.05)) job.resource = r.pick(['smtp', 'api']);
    if (r.chance(0.05)) job.preemptible = r.chance(0.5);
    if (r.chance(0.05)) job.onDependencyFailure = r.pick(['fail', 'cancel', 'continue']);
    if (r.chance(0.05)) job.runAtMs = Date.now() + r.pick([0, 1000, 3_600_000]);
    return job;
  }

  /** A value for a number field `[lo, hi]` (`int`: integers only) that is wrong or at an edge. */
  private hostileNumber(lo: number, hi: number, int: boolean): Hostile {
    const r = this.rng;
    const valid = (v: number) => Number.isFinite(v) && v >= lo && v <= hi && (!int || Number.isInteger(v));
    return r.weighted<() => Hostile>([
      [3, () => ({ value: r.pick(NOT_NUMBERS), valid: false, why: 'not a number' })],
      [
        3,
        () => {
          const v = r.pick(HUGE);
          return { value: v, valid: valid(v), why: `${v}` };
        },
      ],
      [
        4,
        () => {
          const v = r.pick([lo - 1, lo, hi, hi + 1, -1, -0, 0.5, lo + 0.5, hi - 0.5, hi * 2]);
          return { value: v, valid: valid(v), why: `${v}` };
        },
      ],
    ])();
  }

  /** A name (1–`max` characters) that is wrong or at an edge. */
  private hostileName(max: number): Hostile {
    const r = this.rng;
    return r.weighted<() => Hostile>([
      [3, () => ({ value: r.pick([null, 1, true, [], {}, ['a']] as Json[]), valid: false, why: 'not a string' })],
      [2, () => ({ value: '', valid: false, why: 'empty' })],
      [2, () => ({ value: 'x'.repeat(max + 1), valid: false, why: `${max + 1} characters` })],
      [1, () => ({ value: 'x'.repeat(max), valid: true, why: `${max} characters` })],
      [
        3,
        () => ({
          value: r.pick(['\u0000', '\ud800', '\udfff\ud800', 'a\u2028b', '../..', '%2F', ' ', '\u202e', '😀'.repeat(3)]),
          valid: true,
          why: 'odd characters',
        }),
      ],
    ])();
  }

  /** One mutation of `job`: what it did, and whether the job must now be refused. */
  private mutate(job: JobObject, queue: string): { label: string; refuse: string | undefined } {
    const r = this.rng;
    const maxTime = Date.now() + MAX_DURATION_MS;
    const durations: Array<[string, number, number]> = [
      ['delayMs', 0, MAX_DURATION_MS],
      ['timeoutMs', 1, MAX_DURATION_MS],
      ['leaseMs', 1, MAX_DURATION_MS],
      ['idempotencyTtlMs', 1, MAX_DURATION_MS],
    ];
    const set = (field: string, h: Hostile) => {
      if (h.value === undefined) delete job[field];
      else job[field] = h.value;
      return { label: `${field}:${h.why}`, refuse: h.valid === false ? `${field} is ${h.why}` : undefined };
    };
    return r.weighted<() => { label: string; refuse: string | undefined }>([
      [
        4,
        () => {
          const [field, lo, hi] = r.pick(durations);
          return set(field, this.hostileNumber(lo, hi, false));
        },
      ],
      [
        2,
        () => {
          const field = r.pick(['runAtMs', 'deadlineAtMs']);
          const [v, why] = r.pick<[number, string]>([
            [-1, '-1'],
            [0, '0'],
            [maxTime + DAY_MS, 'now + 367 days'],
            [1e308, '1e308'],
            [253_402_300_800_000, 'after 9999'],
            [Number.NaN, 'not a number'],
          ]);
          if (Number.isNaN(v)) return set(field, { value: r.pick(NOT_NUMBERS), valid: false, why });
          return set(field, { value: v, valid: v < 0 || v > maxTime + DAY_MS / 2 ? false : null, why });
        },
      ],
      [3, () => set('priority', this.hostileNumber(0, 4, true))],
      [
        2,
        () => {
          const retry: JobObject = { maxAttempts: 3 };
          job.retry = retry;
          const what = r.pick(['maxAttempts', 'factor', 'delayMs', 'maxDelayMs', 'priorityScale', 'kind', 'jitter', 'unknown']);
          if (what === 'maxAttempts') {
            const h = this.hostileNumber(1, 100, true);
            retry.maxAttempts = h.value ?? null;
            return { label: `retry.maxAttempts:${h.why}`, refuse: h.valid === false ? `retry.maxAttempts is ${h.why}` : undefined };
          }
          const backoff: JobObject = {};
          retry.backoff = backoff;
          if (what === 'kind' || what === 'jitter') {
            backoff[what] = r.pick(['CONSTANT', 'none ', '', 'random', 1, null] as Json[]);
            return { label: `retry.backoff.${what}`, refuse: `retry.backoff.${what} is not a known value` };
          }
          if (what === 'unknown') {
            backoff.base = 2;
            return { label: 'retry.backoff.base', refuse: 'retry.backoff has an unknown field' };
          }
          const [lo, hi] = what === 'factor' ? [1, 100] : what === 'priorityScale' ? [0, 10] : [0, MAX_DURATION_MS];
          const h = this.hostileNumber(lo, hi, false);
          backoff[what] = h.value ?? null;
          return { label: `retry.backoff.${what}:${h.why}`, refuse: h.valid === false ? `retry.backoff.${what} is ${h.why}` : undefined };
        },
      ],
      [
        3,
        () => {
          const field = r.pick(['type', 'key', 'fairnessKey', 'idempotencyKey', 'resource', 'ref']);
          const h = this.hostileName(512);
          // `type` must also name a handler: anything but the demo's is refused.
          const refuse = h.valid === false || field === 'type' ? `${field} is ${h.why}` : undefined;
          return { ...set(field, h), refuse };
        },
      ],
      [1, () => ({ ...set('type', { value: undefined, valid: false, why: 'missing' }), refuse: 'type is missing' })],
      [
        2,
        () => {
          const what = r.int(0, 3);
          if (what === 0) job.tags = Array.from({ length: 33 }, (_, i) => `t${i}`);
          else if (what === 1) job.tags = ['x'.repeat(129)];
          else if (what === 2) job.tags = 'a,b';
          else job.tags = [1, 2];
          return { label: 'tags', refuse: 'tags out of bounds' };
        },
      ],
      [
        2,
        () => {
          const theirs = this.world.otherIds();
          const what = r.int(0, 3);
          if (what === 0 && theirs.length > 0) {
            job.dependsOn = [r.pick(theirs)];
            return { label: 'dependsOn:other-tenant', refuse: "dependsOn names another tenant's job" };
          }
          if (what === 1) {
            job.dependsOn = Array.from({ length: 101 }, (_, i) => `d${i}`);
            return { label: 'dependsOn:101', refuse: '101 dependencies' };
          }
          if (what === 2) {
            job.dependsOn = [r.string(26, ID_ALPHABET)];
            return { label: 'dependsOn:unknown', refuse: 'dependsOn names no job' };
          }
          job.dependsOn = 'abc';
          return { label: 'dependsOn:string', refuse: 'dependsOn is a string' };
        },
      ],
      [
        2,
        () => {
          job.trace = r.pick([
            { traceparent: 'nope' },
            { traceparent: TRACEPARENT.toUpperCase() },
            { tracestate: 'a=1' },
            [TRACEPARENT],
            TRACEPARENT,
          ] as Json[]);
          return { label: 'trace', refuse: 'trace is not a W3C traceparent object' };
        },
      ],
      [
        3,
        () => {
          const field = r.pick(['queue', 'id', 'state', 'attempt', 'version', 'Type', 'payload ', '__proto__', 'constructor', 'result', 'createdAtMs']);
          // `__proto__` goes in as a sentinel key that the text turns into an own `"__proto__"` key.
          job[field === '__proto__' ? PROTO : field] = r.pick([queue, 'emails', 'x', 1, null, {}] as Json[]);
          return { label: `unknown:${field}`, refuse: `unknown field ${field}` };
        },
      ],
      [
        2,
        () => {
          const field = r.pick(['preemptible', 'network']);
          job[field] = r.pick(['true', 1, 0, null, 'false'] as Json[]);
          return { label: `${field}:not-boolean`, refuse: `${field} is not a boolean` };
        },
      ],
      [
        4,
        () => {
          const what = r.int(0, 7);
          if (what === 0) {
            const depth = r.pick([63, 64, 65, 200]);
            job.payload = nestedValue(depth);
            // 64 levels is the limit: 65 may be counted either way, 200 is over.
            return { label: `payload:nested-${depth}`, refuse: depth > 66 ? `a payload nested ${depth} levels` : undefined };
          }
          if (what === 1) job.payload = { [PROTO]: { polluted: true }, v: 1 };
          else if (what === 2) job.payload = r.pick(HUGE);
          else if (what === 3) job.payload = r.pick(['\ud800', '\u0000', '\u2028', 'é'.normalize('NFD'), '\ufeff']);
          else if (what === 4) job.payload = { constructor: { prototype: 1 }, toString: 'x', hasOwnProperty: null };
          else if (what === 5) job.payload = [null, [], {}, -0, 1e-300];
          else if (what === 6) job.payload = 'x'.repeat(r.pick([100, 10_000, 100_000]));
          else job.payload = r.string(40, '\u0001\u001f"\\/\b\f\n\r\t\u007f\u00ff\u2028\u2029');
          return { label: `payload:${what}`, refuse: undefined };
        },
      ],
      [
        1,
        () => {
          job.onDependencyFailure = r.pick(['FAIL', 'ignore', '', null] as Json[]);
          return { label: 'onDependencyFailure', refuse: 'onDependencyFailure is not a known value' };
        },
      ],
    ])();
  }

  /** JSON text of `value` with raw-text mutations that JSON.stringify cannot make. */
  private rawText(text: string): { text: string; label: string } {
    const r = this.rng;
    return r.weighted<() => { text: string; label: string }>([
      [3, () => ({ text, label: '' })],
      // Duplicate keys: JSON.parse keeps the last one.
      [2, () => ({ text: text.replace(/^\{/, '{"priority":9,"type":"nope",'), label: 'dup-keys-first' })],
      [2, () => ({ text: text.replace(/\}$/, ',"type":"email","priority":1}'), label: 'dup-keys-last' })],
      [2, () => ({ text: text.replace(/^\{/, '{"__proto__":{"priority":9},'), label: '__proto__' })],
      [
        2,
        () => {
          const literals = [...text.matchAll(/(?<=[:,[])-?\d+(\.\d+)?([eE][+-]?\d+)?(?=[,\]}])/g)];
          if (literals.length === 0) return { text: text.replace(/\}$/, ',"priority":1e400}'), label: 'number:1e400' };
          const m = r.pick(literals);
          const literal = r.pick(NUMBER_LITERALS);
          return { text: text.slice(0, m.index) + literal + text.slice(m.index + m[0].length), label: `number:${literal}` };
        },
      ],
      [1, () => ({ text: `\ufeff${text}`, label: 'bom' })],
      [1, () => ({ text: ` \n\t${text}\r\n `, label: 'whitespace' })],
      [1, () => ({ text: `${text}${r.pick(['x', '}', ',', ' {}', '\u0000', '[]'])}`, label: 'trailing' })],
      [1, () => ({ text: text.replace(/"/g, "'"), label: 'single-quotes' })],
      [1, () => ({ text: text.replace(/\}$/, ',}'), label: 'trailing-comma' })],
      [1, () => ({ text: `/* c */${text}`, label: 'comment' })],
    ])();
  }

  /** Bytes of `text`, maybe with bad UTF-8 or raw control characters put inside a string, or cut short. */
  private bytes(text: string): { body: Buffer; label: string } {
    const r = this.rng;
    const body = Buffer.from(text, 'utf8');
    const kind = r.weighted<string>([
      [6, 'none'],
      [2, 'bad-utf8'],
      [2, 'control'],
      [2, 'truncated'],
    ]);
    if (kind === 'none') return { body, label: '' };
    if (kind === 'truncated') return { body: body.subarray(0, r.int(0, Math.max(0, body.length - 1))), label: 'truncated' };
    // Just inside a string value (after `":"`), or anywhere.
    const starts = [...text.matchAll(/":"/g)].map((m) => Buffer.byteLength(text.slice(0, m.index + 3)));
    const at = starts.length > 0 && r.chance(0.8) ? r.pick(starts) : r.int(0, body.length);
    const inserted = Buffer.from(r.pick(kind === 'bad-utf8' ? BAD_UTF8 : CONTROL));
    return { body: Buffer.concat([body.subarray(0, at), inserted, body.subarray(at)]), label: kind };
  }

  private submitOne(): Draft {
    const r = this.rng;
    const queue = this.queue();
    const job = this.validJob(queue);
    const labels: string[] = [];
    // Why each field makes the job invalid: a later mutation of the same field takes back an earlier one.
    const invalid = new Map<string, string | undefined>();
    for (
      let i = r.weighted([
        [4, 0],
        [4, 1],
        [2, 2],
        [1, 3],
      ]);
      i > 0;
      i--
    ) {
      const m = this.mutate(job, queue);
      labels.push(m.label);
      invalid.set(m.label.startsWith('unknown:') ? m.label : m.label.split(/[:.]/, 1)[0]!, m.refuse);
    }
    let refuse = [...invalid.values()].find((why) => why !== undefined);
    let value: Json = job;
    if (r.chance(0.05)) {
      value = [job];
      labels.push('array-for-object');
      refuse = 'the body is an array';
    } else if (r.chance(0.03)) {
      value = r.pick([null, 'render', 1, true, { job }, { jobs: job }] as Json[]);
      labels.push('not-a-job');
      refuse = 'the body is not a job';
    }
    const wait = this.waitQuery(false);
    const raw = this.rawText(withProto(JSON.stringify(value)));
    const bytes = raw.label === '' ? this.bytes(raw.text) : { body: Buffer.from(raw.text, 'utf8'), label: '' };
    if (raw.label !== '') labels.push(raw.label);
    if (bytes.label !== '') labels.push(bytes.label);
    // What the text did to the job. Whether the body is JSON at all, the runner checks itself.
    if (raw.label === 'dup-keys-first' && !Array.isArray(value) && (!('priority' in job) || !('type' in job)))
      refuse ??= 'priority 9 or type "nope", by a duplicate key';
    else if (raw.label === 'dup-keys-last' || raw.label.startsWith('number:')) refuse = undefined;
    else if (raw.label === '__proto__') refuse ??= 'an unknown field `__proto__`';
    else if (bytes.label === 'truncated') refuse = 'truncated JSON';
    return {
      label: `submit.one${labels.length > 0 ? `[${labels.join(',')}]` : ''}`,
      method: 'POST',
      path: `${this.base(queue)}/jobs${wait.query}`,
      headers: this.json(),
      body: bytes.body,
      mustRefuse: wait.bad ?? refuse,
    };
  }

  private submitRaw(): Draft {
    const r = this.rng;
    const text = r.pick([
      '',
      ' ',
      '{',
      '}',
      '{}',
      '[]',
      'null',
      '0',
      '"render"',
      'true',
      '{"type":}',
      '{"type":"render",}',
      '{"type":"render"',
      '{"type":"render"}}',
      '{"type":"render"} {"type":"render"}',
      '{"type":"render","type":"render"}',
      '{"type":"render","payload":{"a":1,"a":2}}',
      '{"type":"render","payload":NaN}',
      '{"type":"render","payload":Infinity}',
      '{"type":"render","payload":1e400}',
      '{"type":"render","payload":-1e400}',
      '{"type":"render","payload":"\\ud800"}',
      '{"type":"render","payload":"\\u0000"}',
      '{"type":"\\u0072ender"}',
      '{"type":"render","payload":"\\x41"}',
      '{"type":"render","delayMs":1e308}',
      '{"type":"render","delayMs":-1e-400}',
      '{"type":"render","priority":2.0}',
      '{"type":"render","priority":2.5}',
      '{"type":"render","priority":-0}',
      '{"jobs":[]}',
      '{"jobs":{}}',
      '{"jobs":null}',
      '{"jobs":[null]}',
      '{"jobs":[[]]}',
      '{"jobs":[{"type":"render"}],"extra":1}',
      '{"jobs":[{"type":"render"}],"jobs":[]}',
      '{"jobs":"render"}',
      '{"__proto__":{"type":"render"}}',
      '{"constructor":{"type":"render"}}',
      '{"type":"render","__proto__":null}',
      '{"type":"render","hasOwnProperty":1}',
      `{"type":"render","payload":"${'\\'.repeat(4)}"}`,
      '\u0000',
      '\ufeff\ufeff{"type":"render"}',
    ]);
    const bytes = r.chance(0.3) ? this.bytes(text) : { body: Buffer.from(text, 'utf8'), label: '' };
    return {
      label: `submit.raw${bytes.label === '' ? '' : `[${bytes.label}]`}`,
      method: 'POST',
      path: `${this.base()}/jobs`,
      headers: this.json(),
      body: bytes.body,
      mustRefuse: undefined,
    };
  }

  private submitBatch(): Draft {
    const r = this.rng;
    const queue = this.queue();
    const size = r.weighted<number>([
      [30, r.int(1, 8)],
      [4, 0],
      [3, 499],
      [3, 500],
      [4, 501],
      [1, 1000],
    ]);
    // Big accepted batches wait an hour: they fill storage, not the CPU.
    const big = size >= 100;
    const jobs: JobObject[] = [];
    for (let i = 0; i < size; i++) {
      const job: JobObject = big ? { type: 'render', payload: { template: '{name}', name: String(i) }, delayMs: 3_600_000 } : this.validJob(queue);
      if (r.chance(0.2) || (!big && i > 0 && r.chance(0.2))) job.ref = `r${i}`;
      if (!big && i > 0 && r.chance(0.2)) job.dependsOn = [`r${r.int(0, i - 1)}`];
      jobs.push(job);
    }
    const labels: string[] = [`${size}`];
    let refuse: string | undefined = size === 0 || size > MAX_BATCH ? `${size} jobs` : undefined;
    const what = r.weighted<string>([
      [5, 'none'],
      [3, 'one-bad'],
      [1, 'cycle'],
      [1, 'dup-ref'],
      [1, 'dup-idem'],
      [1, 'queue'],
      [1, 'header-key'],
    ]);
    if (size > 0 && what === 'one-bad') {
      const i = r.int(0, size - 1);
      const m = this.mutate(jobs[i]!, queue);
      labels.push(`jobs[${i}]:${m.label}`);
      if (m.refuse !== undefined) refuse ??= `jobs[${i}]: ${m.refuse}`;
    } else if (size >= 2 && what === 'cycle') {
      jobs[0]!.ref = 'c0';
      jobs[1]!.ref = 'c1';
      jobs[0]!.dependsOn = ['c1'];
      jobs[1]!.dependsOn = ['c0'];
      labels.push('cycle');
      refuse ??= 'a dependency cycle';
    } else if (size >= 2 && what === 'dup-ref') {
      jobs[0]!.ref = 'same';
      jobs[size - 1]!.ref = 'same';
      labels.push('dup-ref');
    } else if (size >= 2 && what === 'dup-idem') {
      jobs[0]!.idempotencyKey = 'batch-same';
      jobs[size - 1]!.idempotencyKey = 'batch-same';
      labels.push('dup-idem');
    } else if (size > 0 && what === 'queue') {
      jobs[r.int(0, size - 1)]!.queue = r.pick(['emails', 'default', 'nope']);
      labels.push('queue-field');
      refuse ??= 'a job names its queue';
    }
    const headers = this.json();
    if (what === 'header-key') {
      headers['idempotency-key'] = `batch-${r.string(4)}`;
      labels.push('header-key');
      refuse ??= 'an Idempotency-Key header on a batch';
    }
    const wait = this.waitQuery(false);
    const text = withProto(JSON.stringify({ jobs }));
    return {
      label: `submit.batch[${labels.join(',')}]`,
      method: 'POST',
      path: `${this.base(queue)}/jobs${wait.query}`,
      headers,
      body: text,
      mustRefuse: wait.bad ?? refuse,
    };
  }

  private deep(): Draft {
    const r = this.rng;
    const depth = r.pick([64, 65, 1000, 10_000, 50_000]);
    const node = nested(depth, r.pick(['array', 'object', 'mixed'] as const));
    const queue = this.queue();
    const where = r.int(0, 5);
    const body =
      where === 0
        ? `{"type":"render","payload":${node}}`
        : where === 1
          ? `{"type":${node}}`
          : where === 2
            ? `{"type":"render","retry":{"backoff":${node}}}`
            : where === 3
              ? node
              : where === 4
                ? `{"jobs":[{"type":"render","payload":${node}}]}`
                : `{"type":"render","unknown":${node}}`;
    const wait = where === 4 && r.chance(0.3);
    // 64 levels is the limit for payloads; elsewhere the nesting is in the wrong place whatever its depth.
    const payload = where === 0 || (where === 4 && !wait);
    return {
      label: `deep[${depth},${where}${wait ? ',wait' : ''}]`,
      method: 'POST',
      path: `${this.base(queue)}/jobs${wait ? '/wait' : ''}`,
      headers: this.json(),
      body,
      mustRefuse: payload && depth <= 65 ? undefined : body.length > BODY_LIMIT ? 'over the body limit' : `nesting ${depth}`,
    };
  }

  private large(): Draft {
    const r = this.rng;
    const queue = this.queue();
    const target = r.pick([BODY_LIMIT - 1, BODY_LIMIT, BODY_LIMIT + 1, BODY_LIMIT + 100, 2 * BODY_LIMIT, 4 * 1024 * 1024]);
    const shape = r.int(0, 2);
    const prefix = shape === 0 ? '{"type":"render","payload":"' : shape === 1 ? '{"type":"render","key":"' : '{"ids":["';
    const suffix = shape === 2 ? '"]}' : '"}';
    const fill = Math.max(0, target - prefix.length - suffix.length);
    const char = r.pick(['a', 'é', '\\u0000', '"']);
    const unit = Buffer.byteLength(char);
    let middle = char.repeat(Math.floor(fill / unit));
    middle += 'a'.repeat(fill - Buffer.byteLength(middle));
    const body = prefix + middle + suffix;
    const size = Buffer.byteLength(body);
    const chunked = r.chance(0.4);
    return {
      label: `large[${size},${chunked ? 'chunked' : 'length'}]`,
      method: 'POST',
      path: shape === 2 ? `${this.base(queue)}/jobs/wait` : `${this.base(queue)}/jobs`,
      headers: this.json(),
      body,
      chunked,
      // A key is a name (512 characters); ids are names too.
      mustRefuse: size > BODY_LIMIT ? `${size} bytes` : shape !== 0 || char === '"' ? 'a name of thousands of characters, or broken JSON' : undefined,
    };
  }

  private contentType(): Draft {
    const r = this.rng;
    const queue = this.queue();
    const headers: Record<string, string> = {};
    const bad = r.chance(0.7);
    if (bad) {
      if (r.chance(0.8)) headers[r.pick(['content-type', 'Content-Type', 'CONTENT-TYPE'])] = r.pick(CONTENT_TYPES_BAD);
    } else headers['content-type'] = r.pick(CONTENT_TYPES_OK);
    if (r.chance(0.1)) headers['content-encoding'] = r.pick(['gzip', 'br', 'identity']);
    const wait = r.chance(0.3);
    const empty = r.chance(0.1);
    const body = empty ? undefined : wait ? JSON.stringify({ ids: [r.string(26, ID_ALPHABET)] }) : JSON.stringify(this.validJob(queue));
    return {
      label: `content-type[${bad ? (headers['content-type'] ?? headers['Content-Type'] ?? headers['CONTENT-TYPE'] ?? 'none') : 'ok'}${headers['content-encoding'] ? `,${headers['content-encoding']}` : ''}]`,
      method: 'POST',
      path: `${this.base(queue)}/jobs${wait ? '/wait' : ''}`,
      headers,
      body,
      mustRefuse: bad ? 'not application/json' : empty ? 'no body' : undefined,
    };
  }

  private waitBody(): Draft {
    const r = this.rng;
    const queue = this.queue();
    const own = this.world.ownIds(queue);
    const theirs = this.world.otherIds();
    const label: string[] = [];
    let refuse: string | undefined;
    // Ids: long waits only when some id is unknown here (the answer is then immediate).
    let ids: Json = r.weighted<() => Json>([
      [4, () => Array.from({ length: r.int(1, 5) }, () => this.id(queue).id)],
      [2, () => (theirs.length > 0 ? [r.pick(theirs)] : [r.string(26, ID_ALPHABET)])],
      [1, () => (own.length > 0 ? [r.pick(own)] : ['x'])],
      [
        1,
        () => {
          refuse = 'no ids';
          return [];
        },
      ],
      [1, () => Array.from({ length: 500 }, (_, i) => (theirs.length > 0 && i % 7 === 0 ? r.pick(theirs) : r.string(26, ID_ALPHABET)))],
      [
        1,
        () => {
          refuse = '501 ids';
          return Array.from({ length: 501 }, () => r.string(26, ID_ALPHABET));
        },
      ],
      [
        1,
        () => {
          refuse = 'ids are not names';
          return r.pick([[1], [null], [''], ['x'.repeat(513)], 'abc', { 0: 'a' }, null] as Json[]);
        },
      ],
    ])();
    const knownOpen = Array.isArray(ids) && ids.length > 0 && ids.every((id) => typeof id === 'string' && own.includes(id));
    let waitMs: Json | undefined = r.chance(0.3) ? undefined : knownOpen ? r.pick([0, 1, 50, 200]) : r.pick([0, 1, 50, 25_000]);
    if (r.chance(0.3)) {
      const h = this.hostileNumber(0, 25_000, true);
      waitMs = h.value;
      if (h.valid === false) refuse ??= `waitMs is ${h.why}`;
      else if (knownOpen && typeof h.value === 'number' && h.value > 200) waitMs = 200;
      label.push(`waitMs:${h.why}`);
    }
    const body: JobObject = { ids };
    if (waitMs !== undefined) body.waitMs = waitMs;
    if (r.chance(0.1)) {
      body.all = true;
      refuse ??= 'unknown field';
      label.push('unknown');
    }
    // Nested: an array of ids inside an array is refused; a lone string inside one would be a valid list.
    if (r.chance(0.05) && Array.isArray(ids)) {
      ids = [ids];
      body.ids = ids;
      refuse ??= 'ids nested';
    }
    const raw = r.chance(0.2) ? this.bytes(JSON.stringify(body)) : { body: Buffer.from(JSON.stringify(body)), label: '' };
    if (raw.label !== '') label.push(raw.label);
    return {
      label: `wait${label.length > 0 ? `[${label.join(',')}]` : ''}`,
      method: 'POST',
      path: `${this.base(queue)}/jobs/wait`,
      headers: this.json(),
      body: raw.body,
      mustRefuse: raw.label === 'truncated' ? 'truncated JSON' : refuse,
    };
  }

  private getJob(): Draft {
    const r = this.rng;
    const queue = this.queue();
    const { id, raw } = this.id(queue);
    const own = this.world.ownIds(queue).includes(id);
    const wait = this.waitQuery(!own);
    const steps = r.chance(0.1);
    return {
      label: `get${steps ? '.steps' : ''}`,
      method: 'GET',
      path: `${this.base(queue)}/jobs/${raw ? id : encodeSegment(id)}${steps ? '/steps' : ''}${wait.query}`,
      headers: {},
      body: undefined,
      mustRefuse: steps ? undefined : wait.bad,
    };
  }

  private list(): Draft {
    const r = this.rng;
    const params: Array<[string, string]> = [];
    const n = r.int(0, 3);
    for (let i = 0; i < n; i++) {
      const what = r.int(0, 5);
      if (what === 0) params.push(['limit', r.pick(['1', '5', '100', '101', '0', '1e3', '0x10', '%205', '-0', 'NaN', '', '05', '99999999999', '1.0', '-1'])]);
      else if (what === 1)
        params.push(['state', r.pick(['ready', 'succeeded', 'failed', 'cancelled', 'scheduled', 'waiting', 'running', 'READY', 'done', ''])]);
      else if (what === 2) params.push(['type', r.pick(['render', 'sum', 'nope', '%00', 'x'.repeat(513), ''])]);
      else if (what === 3) params.push(['cursor', encodeSegment(this.id(this.queue()).id)]);
      else if (what === 4) params.push(['order', r.pick(['asc', 'desc', 'DESC', 'random'])]);
      else
        params.push(
          r.pick<[string, string]>([
            ['x', '1'],
            ['waitMs', '5'],
            ['%ZZ', '1'],
            ['state[]', 'ready'],
            ['__proto__', '1'],
            ['limit', '1&limit=2'],
          ]),
        );
    }
    // Repeated parameters: the first one counts (hono's `query()`).
    const first = new Map<string, string>();
    for (const [name, value] of params) if (!first.has(name)) first.set(name, value);
    const limit = first.get('limit');
    const state = first.get('state');
    const type = first.get('type');
    let refuse: string | undefined;
    if (limit !== undefined && !['1', '5', '100', '1&limit=2'].includes(limit)) refuse = `limit=${limit}`;
    else if (state !== undefined && ['READY', 'done', ''].includes(state)) refuse = `state=${state}`;
    else if (type !== undefined && (type === '' || type.length > 512)) refuse = 'type is not a name';
    else if ((first.get('cursor')?.length ?? 0) > 512) refuse = 'cursor is not a name';
    else if (['x', 'waitMs', 'state[]', '__proto__'].some((name) => first.has(name))) refuse = 'an unknown parameter';
    const query = params.length > 0 ? `?${params.map(([name, value]) => `${name}=${value}`).join('&')}` : '';
    return { label: 'list', method: 'GET', path: `${this.base()}/jobs${query}`, headers: {}, body: undefined, mustRefuse: refuse };
  }

  private cancelOrRetry(): Draft {
    const r = this.rng;
    const queue = this.queue();
    const action = r.pick(['cancel', 'retry']);
    const body = r.weighted<string | undefined>([
      [5, undefined],
      [1, '{}'],
      [1, 'not json'],
      [1, 'x'.repeat(BODY_LIMIT + 1)],
    ]);
    return {
      label: `${action}${body === undefined ? '' : `[body ${Math.min(body.length, 99_999)}]`}`,
      method: 'POST',
      path: `${this.base(queue)}/jobs/${this.idSegment(queue)}/${action}`,
      headers: body === undefined ? {} : { 'content-type': r.pick(['application/json', 'text/plain']) },
      body,
      mustRefuse: body !== undefined && body.length > BODY_LIMIT ? 'over the body limit' : undefined,
    };
  }

  private misc(): Draft {
    const r = this.rng;
    const queue = this.queue();
    return r.weighted<() => Draft>([
      [3, () => ({ label: 'metrics', method: 'GET', path: `${this.base(queue)}/metrics`, headers: {}, body: undefined, mustRefuse: undefined })],
      [1, () => ({ label: 'events', method: 'GET', path: `${this.base(queue)}/events`, headers: {}, body: undefined, stream: true, mustRefuse: undefined })],
      [2, () => ({ label: 'openapi', method: r.pick(['GET', 'HEAD']), path: '/v1/openapi.json', headers: {}, body: undefined, mustRefuse: undefined })],
      [
        2,
        () => {
          // The demo's switch for its `flaky` handler's downstream (not used by the jobs sent here).
          const body = r.pick(['{"mode":"ok"}', '{"mode":"flaky"}', '{"mode":"OK"}', '{"mode":null}', '{}', '[]', 'null', '{bad', '', '{"mode":"ok","x":1}']);
          return {
            label: 'downstream',
            method: 'POST',
            path: `${this.base(queue)}/downstream`,
            headers: this.json(),
            body: r.chance(0.1) ? undefined : body,
            mustRefuse: undefined,
          };
        },
      ],
      [
        2,
        () => ({
          label: 'ledger',
          method: 'GET',
          path: `${this.base(queue)}/ledger${r.pick(['', '?prefix=fuzz-', '?prefix=', '?prefix=%00', `?prefix=${'x'.repeat(2000)}`])}`,
          headers: {},
          body: undefined,
          mustRefuse: undefined,
        }),
      ],
    ])();
  }

  private oddRoute(): Draft {
    const r = this.rng;
    const queue = this.queue();
    const long = (n: number) => r.string(n, 'qwerty');
    const path = r.pick([
      `/v1/queues/${queue}/jobs/../metrics`,
      `/v1/queues/${queue}/../../v1/openapi.json`,
      `/v1/queues/..%2F${queue}/jobs`,
      `/v1/queues/${queue}%2Fjobs`,
      `/v1/queues/%2e%2e/jobs`,
      `//v1/queues/${queue}/jobs`,
      `/v1//queues/${queue}/jobs`,
      `/v1/queues/${queue}/jobs/`,
      `/v1/queues/${queue}/jobs//cancel`,
      `/v1/queues/${queue.toUpperCase()}/jobs`,
      `/v1/queues/%${queue.charCodeAt(0).toString(16)}${queue.slice(1)}/jobs`,
      `/v1/queues/${queue}%00/jobs`,
      `/v1/queues/${queue}%ZZ/jobs`,
      `/v1/queues/%FF/jobs`,
      `/v1/queues//jobs`,
      `/v1/queues/${long(65)}/jobs`,
      `/v1/queues/${long(r.pick([1000, 8000, 16_000]))}/jobs`,
      `/v1/queues/${queue}/jobs/${encodeSegment(this.id(queue).id)}/cancel/extra`,
      `/v1/queues/${queue}/jobs/${encodeSegment(this.id(queue).id)}%2Fcancel`,
      `/v1/queues/${queue}/metrics/`,
      `/v1/queues/${queue}/jobs?%ZZ`,
      `/v1/queues/${queue}/jobs?limit=%E0%A4%A`,
      `/v1/queues/${queue}/jobs?state=%FF`,
      `/v1/queues/${queue}`,
      '/v1/queues',
      '/v1',
      '/',
      '/v2/queues/default/jobs',
      '/v1/openapi.json/',
      '/v1/OPENAPI.JSON',
      '/favicon.ico',
      '/.env',
      '/v1/queues/*/jobs',
      `/v1/queues/${queue}/jobs#fragment`,
      `/v1/queues/${queue}/jobs;a=b`,
      '*',
    ]);
    const method = r.chance(0.5) ? r.pick(METHODS_ODD) : r.pick(['GET', 'POST']);
    const withBody = method !== 'GET' && method !== 'HEAD' && r.chance(0.5);
    return {
      label: `route.${method}`,
      method,
      path,
      headers: withBody ? { 'content-type': 'application/json' } : {},
      body: withBody ? JSON.stringify(this.validJob(queue)) : undefined,
      mustRefuse: undefined,
    };
  }

  private idempotency(): Draft {
    const r = this.rng;
    const queue = this.queue();
    const job = this.validJob(queue);
    delete job.dependsOn;
    let refuse: string | undefined;
    let header: string | undefined;
    const what = r.weighted<string>([
      [5, 'pool'],
      [1, 'empty'],
      [1, 'spaces'],
      [1, 'long'],
      [1, 'edge'],
      [1, 'latin1'],
      [2, 'mismatch'],
      [1, 'same-as-body'],
      [2, 'body-only'],
    ]);
    if (what === 'pool' || what === 'body-only' || what === 'same-as-body' || what === 'mismatch') {
      const key = this.keys.length > 0 && r.chance(0.7) ? r.pick(this.keys) : `idem-${r.string(6)}`;
      if (!this.keys.includes(key)) this.keys.push(key);
      // The same key comes back with the same job (a dedup) or another (a conflict).
      if (r.chance(0.5)) {
        job.type = 'render';
        job.payload = { template: key, name: '' };
        for (const k of Object.keys(job)) if (k !== 'type' && k !== 'payload') delete job[k];
      }
      if (what === 'body-only') job.idempotencyKey = key;
      else header = key;
      if (what === 'same-as-body') job.idempotencyKey = key;
      if (what === 'mismatch') {
        job.idempotencyKey = `${key}-other`;
        refuse = 'the header and the body name different keys';
      }
    } else if (what === 'empty') {
      header = '';
      refuse = 'an empty Idempotency-Key';
    } else if (what === 'spaces') {
      header = '   ';
      refuse = 'a blank Idempotency-Key';
    } else if (what === 'long') {
      header = 'k'.repeat(r.pick([513, 5000]));
      refuse = 'an Idempotency-Key over 512 characters';
    } else if (what === 'edge') header = `e${r.string(511)}`;
    else header = `cl\u00e9-${r.string(3)}`;
    const headers = this.json();
    if (header !== undefined) headers['idempotency-key'] = header;
    return {
      label: `idempotency[${what}]`,
      method: 'POST',
      path: `${this.base(queue)}/jobs`,
      headers,
      body: JSON.stringify(job),
      mustRefuse: refuse,
    };
  }

  /** A broken, borrowed or missing `Authorization` header. */
  private authorization(): { value: string | undefined; label: string } {
    const r = this.rng;
    const own = this.world.tokens.own;
    const other = this.world.tokens.other;
    return r.pick<{ value: string | undefined; label: string }>([
      { value: undefined, label: 'auth:none' },
      { value: '', label: 'auth:empty' },
      { value: 'Bearer', label: 'auth:scheme-only' },
      { value: 'Bearer ', label: 'auth:scheme-space' },
      { value: own, label: 'auth:no-scheme' },
      { value: `Basic ${Buffer.from(`demo:${own}`).toString('base64')}`, label: 'auth:basic' },
      { value: `Token ${own}`, label: 'auth:token-scheme' },
      { value: `Bearer${own}`, label: 'auth:no-space' },
      { value: `bearer ${own}`, label: 'auth:lowercase' },
      { value: `BEARER  ${own}`, label: 'auth:upper-2-spaces' },
      { value: `Bearer ${own.slice(0, -1)}`, label: 'auth:prefix' },
      { value: `Bearer ${own.slice(0, 16)}`, label: 'auth:prefix-16' },
      { value: `Bearer ${own}x`, label: 'auth:suffix' },
      { value: `Bearer x${own}`, label: 'auth:prepended' },
      { value: `Bearer ${own}=`, label: 'auth:padding' },
      { value: `Bearer ${own} ${own}`, label: 'auth:twice' },
      { value: `Bearer ${own},Bearer ${other}`, label: 'auth:list' },
      { value: `Bearer ${own.toUpperCase()}`, label: 'auth:token-case' },
      { value: `Bearer ${own.replace(/-/g, '_')}`, label: 'auth:token-chars' },
      { value: `Bearer \t${own}`, label: 'auth:tab' },
      { value: `Bearer ${own}\u00e9`, label: 'auth:latin1' },
      { value: `Bearer ${'a'.repeat(r.pick([1000, 60_000]))}`, label: 'auth:long' },
      { value: `Bearer ${other}`, label: 'auth:other-tenant' },
      { value: `Bearer ${other}`, label: 'auth:other-tenant' },
      { value: `Bearer ${other}`, label: 'auth:other-tenant' },
    ]);
  }
}

function withProto(text: string): string {
  return text.replaceAll(`"${PROTO}"`, '"__proto__"');
}

interface Draft {
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | Buffer | undefined;
  readonly chunked?: boolean;
  readonly stream?: boolean;
  readonly mustRefuse: string | undefined;
}

/** A request as text, to print and replay: method, path, headers, the start of the body. */
export function describeRequest(request: FuzzRequest, bodyChars = 500): string {
  const cut = (text: string, chars: number) => (text.length <= chars ? text : `${text.slice(0, chars)}… (${text.length} characters)`);
  const lines = [`#${request.n} ${request.label}`, `${request.method} ${cut(request.path, 500)}`];
  for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${JSON.stringify(cut(value, 200))}`);
  if (request.chunked) lines.push('(body sent chunked, without content-length)');
  if (request.body !== null) {
    lines.push(`(body: ${request.body.length} bytes; first ${bodyChars} characters, as JSON string of the UTF-8 decoding:)`);
    lines.push(JSON.stringify(cut(request.body.toString('utf8'), bodyChars)));
    lines.push(`(first bytes, hex: ${request.body.subarray(0, 64).toString('hex')})`);
  }
  return lines.join('\n');
}
