/**
 * A typed client for Baton's HTTP API: needs only `fetch`, so it runs in
 * browsers, Node and Workers alike.
 *
 * @module @baton/edge/client
 */
import {
  BatonError,
  ErrorCode,
  type Handlers,
  isTerminal,
  type JobOf,
  type JobRecord,
  type ListPage,
  type MetricsSnapshot,
  type Schedule,
  type StepRecord,
  type SchedulerApi,
  type SubmitInput,
  type SubmitInputOf,
  type SubmitResult,
  type TypeOf,
} from '@baton/core';
import type { ErrorBody } from '@baton/core/advanced';

/**
 * An error answer of the API: a Baton error with its HTTP status, its
 * code from the body, and whether and when to try again (408, 429 and 5xx
 * are worth retrying, after `Retry-After` when the server sent one).
 */
export class BatonHttpError extends BatonError<string> {
  readonly status: number;
  readonly field: string | undefined;

  constructor(status: number, body: ErrorBody, retryAfterMs: number | null) {
    super(body.code, body.message, { retryable: status === 408 || status === 429 || status >= 500, retryAfterMs });
    this.name = 'BatonHttpError';
    this.status = status;
    this.field = body.field;
  }
}

export interface ClientOptions {
  /** The API's origin, e.g. `http://127.0.0.1:8787`. */
  readonly baseUrl: string;
  readonly token: string;
  /** @default globalThis.fetch */
  readonly fetch?: (request: Request) => Promise<Response>;
}

export interface SubmitOptions {
  /** Sent as the `Idempotency-Key` header. */
  readonly idempotencyKey?: string;
  /** Hold the answer until the jobs have finished (at most this long, up to 25 s): their records come back as they are then. */
  readonly waitMs?: number;
}

/** The longest the server holds an answer (`?waitMs=`); mirrors the API's `MAX_WAIT_MS`. */
const MAX_WAIT_MS = 25_000;

/** A job as the HTTP API takes it: the queue is given by the path. */
type NoQueue = { readonly queue?: never };

/**
 * Jobs of one queue, as the client sees them: the scheduler's API (typed by
 * the handler map of the object behind the queue), with what HTTP adds: an
 * idempotency key as a header, answers held until jobs finish (`waitMs`),
 * and one long poll for many jobs (`waitAny`).
 */
export interface QueueClient<H extends Handlers = Handlers> extends Omit<SchedulerApi<H>, 'submit' | 'submitAll'> {
  submit<T extends TypeOf<H>>(job: SubmitInputOf<H, T> & NoQueue, options?: SubmitOptions): Promise<SubmitResult<H, T>>;
  submitAll(jobs: ReadonlyArray<SubmitInput<H> & NoQueue>, options?: Pick<SubmitOptions, 'waitMs'>): Promise<Array<SubmitResult<H>>>;
  /** The job; with `waitMs`, the server holds the answer until the job has finished or the wait is up (at most 25 s). */
  get(id: string, options?: { readonly waitMs?: number }): Promise<JobOf<H> | undefined>;
  /** The jobs `ids` names (`null` if unknown), once one of them has finished or `waitMs` is up: one long poll for many. */
  waitAny(ids: readonly string[], options?: { readonly waitMs?: number }): Promise<Array<JobOf<H> | null>>;
}

/**
 * A typed client for the HTTP API, for browsers and servers alike (it only
 * needs `fetch`).
 *
 * @example
 * const emails = createClient({ baseUrl: 'http://127.0.0.1:8787', token }).queue('emails');
 * const { job } = await emails.submit({ type: 'welcome', payload: { to: 'ada@example.com' } }, { idempotencyKey: 'welcome:ada' });
 */
export function createClient(options: ClientOptions): { queue<H extends Handlers = Handlers>(name: string): QueueClient<H> } {
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const base = options.baseUrl.replace(/\/+$/, '');

  async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${options.token}`, ...headers } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const response = await send(new Request(`${base}${path}`, init));
    const text = await response.text();
    if (!response.ok) {
      let error: ErrorBody = { code: ErrorCode.http, message: `${response.status} ${response.statusText}: ${text.slice(0, 200)}` };
      try {
        error = (JSON.parse(text) as { error: ErrorBody }).error ?? error;
      } catch {
        // not JSON: keep the status line
      }
      const retryAfter = response.headers.get('retry-after');
      const seconds = retryAfter === null ? NaN : Number(retryAfter);
      const retryAfterMs = Number.isFinite(seconds)
        ? seconds * 1000
        : retryAfter !== null && !Number.isNaN(Date.parse(retryAfter))
          ? Math.max(0, Date.parse(retryAfter) - Date.now())
          : null;
      throw new BatonHttpError(response.status, error, retryAfterMs);
    }
    return JSON.parse(text) as T;
  }

  return {
    queue<H extends Handlers = Handlers>(name: string): QueueClient<H> {
      const q = `/v1/queues/${encodeURIComponent(name)}`;
      const job = (id: string) => `${q}/jobs/${encodeURIComponent(id)}`;
      const get = async (id: string, waitMs?: number): Promise<JobOf<H> | undefined> => {
        try {
          return await call<JobOf<H>>('GET', `${job(id)}${waitQuery(waitMs)}`);
        } catch (error) {
          if (error instanceof BatonHttpError && error.code === ErrorCode.unknownJob) return undefined;
          throw error;
        }
      };
      return {
        submit: (input, opts = {}) =>
          call('POST', `${q}/jobs${waitQuery(opts.waitMs)}`, input, opts.idempotencyKey === undefined ? {} : { 'idempotency-key': opts.idempotencyKey }),
        submitAll: async (inputs, opts = {}) =>
          (await call<{ jobs: Array<SubmitResult<H>> }>('POST', `${q}/jobs${waitQuery(opts.waitMs)}`, { jobs: inputs })).jobs,
        get: (id, opts = {}) => get(id, opts.waitMs),
        waitFor: async (target) => {
          // Long polls, each held by the server until the job finishes or the wait is up.
          const id = typeof target === 'string' ? target : target.id;
          for (;;) {
            const found = await call<JobRecord>('GET', `${job(id)}?waitMs=${MAX_WAIT_MS}`);
            if (isTerminal(found.state)) return found as never;
          }
        },
        waitAny: async (ids, opts = {}) => (await call<{ jobs: Array<JobOf<H> | null> }>('POST', `${q}/jobs/wait`, { ids, waitMs: opts.waitMs ?? 0 })).jobs,
        list: (query = {}) => {
          const params = new URLSearchParams();
          for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
          const search = params.toString();
          return call<ListPage<JobOf<H>>>('GET', `${q}/jobs${search === '' ? '' : `?${search}`}`);
        },
        cancel: (id) => call('POST', `${job(id)}/cancel`),
        retry: (id) => call('POST', `${job(id)}/retry`),
        signal: (id, name, payload = null) => call('POST', `${job(id)}/signals/${encodeURIComponent(name)}`, { payload }),
        schedule: ({ id, ...definition }) => call('PUT', `${q}/schedules/${encodeURIComponent(id)}`, definition),
        schedules: async () => (await call<{ schedules: Schedule[] }>('GET', `${q}/schedules`)).schedules,
        pauseSchedule: (id) => call('POST', `${q}/schedules/${encodeURIComponent(id)}/pause`),
        resumeSchedule: (id) => call('POST', `${q}/schedules/${encodeURIComponent(id)}/resume`),
        unschedule: (id) => call('DELETE', `${q}/schedules/${encodeURIComponent(id)}`),
        metrics: () => call<MetricsSnapshot>('GET', `${q}/metrics`),
        steps: async (id) => (await call<{ steps: StepRecord[] }>('GET', `${job(id)}/steps`)).steps,
      };
    },
  };
}

function waitQuery(waitMs: number | undefined): string {
  return waitMs === undefined ? '' : `?waitMs=${waitMs}`;
}
