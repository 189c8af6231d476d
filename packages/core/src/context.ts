import type { Compensation } from './compensation.ts';
import type { Failure, JobInput, Json, JobRecord, JobState, TraceContext } from './job.ts';

/** A dependency's outcome, as its dependent sees it. */
export interface DependencyResult {
  readonly id: string;
  readonly type: string;
  readonly state: JobState;
  readonly result: Json | null;
  readonly error: Failure | null;
}

/** What a handler gets besides its payload. */
export interface JobContext {
  /** The job as claimed for this attempt. */
  readonly job: JobRecord;
  /** Aborted on timeout, cancel, lease loss or scheduler stop; `signal.reason` says which. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /**
   * The trace context to hand on with work this job passes elsewhere (a
   * submit to the edge, a request): the attempt's span with
   * instrumentation, else the context the job was submitted with.
   */
  readonly trace: TraceContext | null;
  /** Results of `dependsOn`, in its order. */
  readonly dependencies: readonly DependencyResult[];
  /** Records progress (persisted with the job, emitted as `job.progress`). Counts as a heartbeat. */
  progress(value: Json): void;
  /** Says the handler is alive. */
  heartbeat(): void;
  /**
   * Runs `fn` as a durable step: its result is stored as soon as it
   * returns, and a retried or recovered attempt gets the stored result
   * instead of running `fn` again.
   *
   * The guarantee, as built: `fn` runs at least once, and again only if
   * its attempt ended (a crash, a lost lease, a timeout, a cancel) after
   * `fn` began and before its result was stored. An attempt that was given
   * up starts no more steps, even if its handler ignores `ctx.signal`, and
   * its late results are not stored. For an effect on another system, pass
   * `step.idempotencyKey` (stable for this job and step name, across every
   * attempt) to that system, as Stripe-style APIs take it: then the effect
   * happens once even in that window.
   *
   * @example
   * const charge = await ctx.step('charge', ({ idempotencyKey }) => stripe.charges.create(order, { idempotencyKey }));
   * await ctx.step('email', () => mail.send(receipt(charge)));
   */
  step<T extends Json>(name: string, fn: (step: StepInfo) => T | Promise<T>, options?: StepOptions): Promise<T>;
  /**
   * A durable sleep: the job gives up its slot and its lease, and runs again
   * once `durationMs` has passed, even across a crash or a restart. The
   * handler starts over then: its completed steps return their stored
   * results and this sleep returns at once, so the code after it continues.
   * The n-th sleep of a handler is the same sleep in every attempt: call
   * them in the same order each time, as steps. The time asleep spends no
   * attempt; the job's deadline still holds (a sleep past it fails the job).
   *
   * @example
   * await ctx.step('send welcome', () => mail.send(welcome(user)));
   * await ctx.sleep(3 * 24 * 60 * 60 * 1000);
   * await ctx.step('send tips', () => mail.send(tips(user)));
   */
  sleep(durationMs: number): Promise<void>;
  /** As `sleep`, until a time (ms since the epoch). */
  sleepUntil(timeMs: number): Promise<void>;
  /**
   * Waits durably for signal `name` (sent with `signal(jobId, name,
   * payload)` from the API, a page, or another job) and returns its
   * payload. A signal sent before the wait is kept and returns at once.
   * Meanwhile the job holds no slot and no lease, as in `sleep`; the n-th
   * wait is the same wait in every attempt. Past `timeoutMs` (default: a
   * year), the wait throws a `SignalTimeoutError` (a timeout: the job's
   * retry policy decides); past the job's deadline, the job fails.
   *
   * @example
   * const { approved } = await ctx.waitForSignal<{ approved: boolean }>('review', { timeoutMs: 86_400_000 });
   */
  waitForSignal<T extends Json = Json>(name: string, options?: { readonly timeoutMs?: number }): Promise<T>;
  /**
   * Submits child jobs, durably with this step of the handler: a retried or
   * recovered attempt gets the same children back, never a second set (each
   * child's idempotency key comes from this job and spawn, unless it has
   * its own). Resolves with their ids.
   */
  spawn(inputs: JobInput<string, unknown> | ReadonlyArray<JobInput<string, unknown>>): Promise<string[]>;
  /**
   * Waits for jobs (what `spawn` returned) to finish and returns each one's
   * outcome, as a dependent sees its dependencies. Until they have, the job
   * waits with no slot and no lease, its attempt not counted, and its
   * handler runs again after: call `spawn` and `join` in the same order
   * each time. The joined jobs join `ctx.dependencies` too.
   */
  join(children: readonly string[]): Promise<DependencyResult[]>;
  /**
   * Lets the next job of this job's ordering `key` start before this one
   * finishes, for a handler whose order is kept elsewhere from some point
   * on (work handed to a system that orders it, as the outbox hands jobs to
   * the edge with the same key). The job that waits for this one, and any
   * job admitted with the key later, no longer wait for it; it keeps
   * running, its result and failure its own. Durable: resolves once stored
   * (a crash before that releases nothing), and a retry of the job, after a
   * crash or a failed attempt, leaves its successors released; calling it
   * again does nothing. A job sent back from the dead-letter set goes to
   * the end of its key, as any, and may release it again. Without a key, it
   * does nothing. Rejects if the attempt was given up.
   *
   * With `through` (a job of `ctx.keySuccessors`), it also releases the
   * jobs queued behind this one up to and including `through`, which the
   * handler has handed on with it: each of them waits for nothing in the
   * key any more and runs once its dependencies allow, all at once; the job
   * after `through` still waits for `through`. Only jobs still queued
   * between the two go: one cancelled meanwhile is skipped, and if
   * `through` itself left the key, those before it go and none after.
   *
   * @example
   * const accepted = await ctx.step('send', () => edge.submit(job, { key: ctx.job.key }));
   * await ctx.releaseKey(); // the edge orders the rest of the key
   * return edge.waitFor(accepted.id);
   */
  releaseKey(options?: { readonly through?: string }): Promise<void>;
  /**
   * The jobs queued behind this one in its ordering key, nearest first, at
   * most `limit` (default and maximum 1,000): the job that waits for this
   * one, the job that waits for that one, and so on, as they are stored
   * now. For a handler that hands a key's work on in batches: it sends the
   * jobs behind it with itself, then releases them (`releaseKey({ through
   * })`), and each runs to find its work done (deduplicated). Empty without
   * a key, or when nothing waits.
   *
   * @example
   * const next = await ctx.keySuccessors({ limit: 99 });
   * await edge.submitAll([ctx.job, ...next].map(toEdgeJob)); // in key order
   * await ctx.releaseKey(next.length === 0 ? undefined : { through: next.at(-1)!.id });
   */
  keySuccessors(options?: { readonly limit?: number }): Promise<JobRecord[]>;
}

export interface StepOptions {
  /**
   * What undoes the step: if the job then fails for good or is cancelled, a
   * job of `compensate.type` is submitted for each completed step that has
   * one, the last completed first, one at a time (a saga). It receives
   * `{ jobId, step, result }`, runs once (its idempotency key comes from the
   * job and the step), with its own `retry`, and is tagged `compensates:<job id>`.
   */
  readonly compensate?: Compensation;
}

/** What a step's function is told. */
export interface StepInfo {
  /** `baton:<job id>:<step name>`: the same on every attempt of the job, for downstream deduplication. */
  readonly idempotencyKey: string;
  /** The attempt running the step. */
  readonly attempt: number;
}

/** The idempotency key of step `name` of job `jobId`: the same on every attempt. */
export function stepIdempotencyKey(jobId: string, name: string): string {
  return `baton:${jobId}:${name}`;
}
