/**
 * The scheduler's API as one contract, typed from the handler map, which
 * every tier offers: the scheduler itself, the page's client of a Worker,
 * a Durable Object's RPC and the HTTP client. A job's type picks its
 * payload (required when the handler needs one) and its result.
 */
import type { Actor, JobInput, JobRecord, Json } from './job.ts';
import type { MetricsSnapshot } from './metrics.ts';
import type { Handler, Handlers } from './options.ts';
import type { Result } from './result.ts';
import type { Schedule, ScheduleInput } from './schedules.ts';
import type { ListPage, ListQuery, StepRecord } from './store.ts';

/** The job types a handler map registers. */
export type TypeOf<H extends Handlers> = keyof H & string;

/** What a handler takes. */
export type PayloadOf<F extends Handler> = Parameters<F>[0];

/** What a handler's job results in, once it has succeeded. */
export type ResultOf<F extends Handler> = Awaited<ReturnType<F>>;

/** A handler that says nothing of its result (`unknown`) yields JSON. */
type ResultField<R> = unknown extends R ? Json | null : R | null;

/** A payload may be left out when the handler accepts `undefined` or `null` (it then gets `null`). */
type PayloadField<P> = undefined extends P ? { readonly payload?: P } : null extends P ? { readonly payload?: P } : { readonly payload: P };

/** What `submit` takes for a job of type `T`: its payload typed by `T`'s handler. */
export type SubmitInputOf<H extends Handlers, T extends TypeOf<H>> = T extends T
  ? Omit<JobInput<T, PayloadOf<H[T]>>, 'payload'> & PayloadField<PayloadOf<H[T]>>
  : never;

/** What `submit` takes: a job of any registered type. */
export type SubmitInput<H extends Handlers> = SubmitInputOf<H, TypeOf<H>>;

/**
 * A stored job whose `type`, `payload` and `result` follow its handler. A
 * union over the types, so checking `job.type` narrows the rest. With an
 * untyped handler map it is plain `JobRecord`.
 */
export type JobOf<H extends Handlers, T extends TypeOf<H> = TypeOf<H>> = string extends T
  ? JobRecord
  : T extends T
    ? Omit<JobRecord, 'type' | 'payload' | 'result'> & { readonly type: T; readonly payload: PayloadOf<H[T]>; readonly result: ResultField<ResultOf<H[T]>> }
    : never;

export interface SubmitResult<H extends Handlers = Handlers, T extends TypeOf<H> = TypeOf<H>> {
  readonly job: JobOf<H, T>;
  /** True when an earlier job with the same idempotency key was returned instead. */
  readonly deduplicated: boolean;
}

/** What a request may say besides its arguments. */
export interface RequestOptions {
  /** Who asks: kept in the job's history with the transition it causes (the audit trail). */
  readonly actor?: Actor;
}

/**
 * What every tier offers over one scheduler, typed by its handler map `H`
 * (`typeof handlers`): in the same process (`Scheduler`), from a page to
 * its Worker (`connect`), and from anywhere to the edge (`createClient`).
 *
 * @example
 * const handlers = { resize: async (p: { url: string; width: number }) => ({ width: p.width }) };
 * const api: SchedulerApi<typeof handlers> = scheduler;
 * const { job } = await api.submit({ type: 'resize', payload: { url, width: 320 } });
 * const done = await api.waitFor(job); // done.result: { width: number } | null
 */
export interface SchedulerApi<H extends Handlers = Handlers> {
  /** Stores one job; resolves once it is stored. */
  submit<T extends TypeOf<H>>(input: SubmitInputOf<H, T>, options?: RequestOptions): Promise<SubmitResult<H, T>>;
  /** Stores jobs atomically: all or none. */
  submitAll(inputs: ReadonlyArray<SubmitInput<H>>, options?: RequestOptions): Promise<Array<SubmitResult<H>>>;
  get(id: string): Promise<JobOf<H> | undefined>;
  list(query?: ListQuery): Promise<ListPage<JobOf<H>>>;
  /** Ends a job that has not finished. */
  cancel(id: string, options?: RequestOptions): Promise<JobOf<H>>;
  /** Sends a failed job back to run. */
  retry(id: string, options?: RequestOptions): Promise<JobOf<H>>;
  /** Sends signal `name` to a job, for `ctx.waitForSignal` (the first of a name is kept). */
  signal(id: string, name: string, payload?: Json, options?: RequestOptions): Promise<JobOf<H>>;
  /** Makes or changes a schedule. */
  schedule(input: ScheduleInput, options?: RequestOptions): Promise<Schedule>;
  schedules(): Promise<Schedule[]>;
  pauseSchedule(id: string, options?: RequestOptions): Promise<Schedule>;
  resumeSchedule(id: string, options?: RequestOptions): Promise<Schedule>;
  /** Deletes a schedule; resolves with it as it was. */
  unschedule(id: string, options?: RequestOptions): Promise<Schedule>;
  /** Resolves with the job once it has succeeded, failed or been cancelled. Given a submitted job, its result is typed. */
  waitFor<T extends TypeOf<H>>(job: string | { readonly id: string; readonly type: T }): Promise<JobOf<H, T>>;
  metrics(): Promise<MetricsSnapshot>;
  /** The durable steps a job has recorded (`ctx.step`), oldest first. */
  steps(id: string): Promise<readonly StepRecord[]>;
}

/**
 * The same calls as a remote endpoint answers them, across a thread (a
 * Worker) or an RPC boundary (a Durable Object): plain data both ways,
 * every answer a `Result` (structured clone keeps data, not prototypes;
 * a host may refuse any call, for a rate limit say), `null` for nothing. `serveScheduler` makes one of a scheduler;
 * `useEndpoint` turns one back into a `SchedulerApi`.
 */
export interface SchedulerEndpoint {
  submit(inputs: ReadonlyArray<JobInput<string, unknown>>, options?: RequestOptions): Promise<Result<SubmitResult[]>>;
  get(id: string): Promise<Result<JobRecord | null>>;
  list(query: ListQuery): Promise<Result<ListPage>>;
  cancel(id: string, options?: RequestOptions): Promise<Result<JobRecord>>;
  retry(id: string, options?: RequestOptions): Promise<Result<JobRecord>>;
  /** One argument, so a call crosses a thread or a tab as one value. */
  signal(request: { readonly id: string; readonly name: string; readonly payload: Json }, options?: RequestOptions): Promise<Result<JobRecord>>;
  schedule(input: ScheduleInput, options?: RequestOptions): Promise<Result<Schedule>>;
  schedules(): Promise<Result<Schedule[]>>;
  pauseSchedule(id: string, options?: RequestOptions): Promise<Result<Schedule>>;
  resumeSchedule(id: string, options?: RequestOptions): Promise<Result<Schedule>>;
  unschedule(id: string, options?: RequestOptions): Promise<Result<Schedule>>;
  waitFor(id: string): Promise<Result<JobRecord>>;
  metrics(): Promise<Result<MetricsSnapshot>>;
  steps(id: string): Promise<Result<readonly StepRecord[]>>;
}
