/**
 * A typed client for Baton's HTTP API: needs only `fetch`, so it runs in
 * browsers, Node and Workers alike.
 *
 * @module @baton/edge/client
 */
import type { JobInput, JobRecord, ListPage, ListQuery, MetricsSnapshot, SubmitResult } from '@baton/core';
import type { ErrorBody } from '@baton/core/advanced';

/** An error answer of the API: its HTTP status and Baton's error code. */
export class BatonHttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly retryable: boolean;
  /** From `Retry-After`, when the server sent one. */
  readonly retryAfterMs: number | null;

  constructor(status: number, body: ErrorBody, retryAfterMs: number | null) {
    super(body.message);
    this.name = 'BatonHttpError';
    this.status = status;
    this.code = body.code;
    this.field = body.field;
    this.retryAfterMs = retryAfterMs;
    // The core's classification: 408, 429 and 5xx are worth retrying, other 4xx are not.
    this.retryable = status === 408 || status === 429 || status >= 500;
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

/** Jobs of one queue, as the client sees them. */
export interface QueueClient {
  submit(job: Omit<JobInput<string, unknown>, 'queue'>, options?: SubmitOptions): Promise<SubmitResult>;
  submitAll(jobs: ReadonlyArray<Omit<JobInput<string, unknown>, 'queue'>>, options?: Pick<SubmitOptions, 'waitMs'>): Promise<SubmitResult[]>;
  /** The job; with `waitMs`, the server holds the answer until the job has finished or the wait is up (at most 25 s). */
  get(id: string, options?: { readonly waitMs?: number }): Promise<JobRecord>;
  /** The jobs `ids` names (`null` if unknown), once one of them has finished or `waitMs` is up: one long poll for many. */
  waitAny(ids: readonly string[], options?: { readonly waitMs?: number }): Promise<Array<JobRecord | null>>;
  list(query?: Omit<ListQuery, 'queue'>): Promise<ListPage>;
  cancel(id: string): Promise<JobRecord>;
  retry(id: string): Promise<JobRecord>;
  metrics(): Promise<MetricsSnapshot>;
}

/**
 * A typed client for the HTTP API, for browsers and servers alike (it only
 * needs `fetch`).
 *
 * @example
 * const emails = createClient({ baseUrl: 'http://127.0.0.1:8787', token }).queue('emails');
 * const { job } = await emails.submit({ type: 'welcome', payload: { to: 'ada@example.com' } }, { idempotencyKey: 'welcome:ada' });
 */
export function createClient(options: ClientOptions): { queue(name: string): QueueClient } {
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
      let error: ErrorBody = { code: 'http', message: `${response.status} ${response.statusText}: ${text.slice(0, 200)}` };
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
    queue(name: string): QueueClient {
      const q = `/v1/queues/${encodeURIComponent(name)}`;
      return {
        submit: (job, opts = {}) =>
          call('POST', `${q}/jobs${waitQuery(opts.waitMs)}`, job, opts.idempotencyKey === undefined ? {} : { 'idempotency-key': opts.idempotencyKey }),
        submitAll: async (jobs, opts = {}) => (await call<{ jobs: SubmitResult[] }>('POST', `${q}/jobs${waitQuery(opts.waitMs)}`, { jobs })).jobs,
        get: (id, opts = {}) => call('GET', `${q}/jobs/${encodeURIComponent(id)}${waitQuery(opts.waitMs)}`),
        waitAny: async (ids, opts = {}) => (await call<{ jobs: Array<JobRecord | null> }>('POST', `${q}/jobs/wait`, { ids, waitMs: opts.waitMs ?? 0 })).jobs,
        list: (query = {}) => {
          const params = new URLSearchParams();
          for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
          const search = params.toString();
          return call('GET', `${q}/jobs${search === '' ? '' : `?${search}`}`);
        },
        cancel: (id) => call('POST', `${q}/jobs/${encodeURIComponent(id)}/cancel`),
        retry: (id) => call('POST', `${q}/jobs/${encodeURIComponent(id)}/retry`),
        metrics: () => call('GET', `${q}/metrics`),
      };
    },
  };
}

function waitQuery(waitMs: number | undefined): string {
  return waitMs === undefined ? '' : `?waitMs=${waitMs}`;
}
