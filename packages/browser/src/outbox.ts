import { DEFAULT_IDEMPOTENCY_TTL_MS, JobError, JobState, isTerminal, type JobContext, type JobInput, type JobRecord, type Json } from '@baton/core';
import { createClient, type ClientOptions } from '@baton/edge/client';
import { EdgeBatcher } from './edge-batcher.ts';

/** A job for the edge, as the browser queues it: what the edge runs, and where. */
export interface EdgeJob {
  /** The handler's name at the edge. */
  readonly type: string;
  readonly payload?: Json;
  /** The edge queue. @default the outbox's `queue` */
  readonly queue?: string;
}

export interface OutboxOptions {
  /** The edge API's origin, e.g. `https://jobs.example.com`. */
  readonly baseUrl: string;
  /** The bearer token (read at each delivery, so it can be refreshed). */
  readonly token: string | (() => string | Promise<string>);
  /** @default 'default' */
  readonly queue?: string;
  /**
   * How long the edge remembers an idempotency key (sent with each job as
   * its `idempotencyTtlMs`). An entry older than this is not sent: the edge
   * may have forgotten an earlier delivery and would run it again. It fails
   * instead, with that reason, into the dead-letter set. @default 24 h
   */
  readonly dedupWindowMs?: number;
  /** Each poll for the edge's results waits up to this long at the server. @default 20000 */
  readonly waitMs?: number;
  /** Submits and waits of jobs starting within this window share one request. @default 5 */
  readonly batchWindowMs?: number;
  /**
   * Whether the edge orders a key's jobs: each keyed job is sent with its
   * `key`, and once the edge has stored it the next local job of the key
   * may go (`ctx.releaseKey`), without waiting for it to run there. The
   * edge keeps a key's order within one edge queue; if one key's jobs go to
   * different edge queues and must run in order, set `false`: each then
   * waits for the one before it to finish at the edge. @default true
   */
  readonly orderAtEdge?: boolean;
  /** For tests and proxies. @default globalThis.fetch */
  readonly fetch?: ClientOptions['fetch'];
  /** The local clock for the age check. @default Date.now */
  readonly now?: () => number;
}

type Delivery = { readonly id: string; readonly deduplicated: boolean };

function finish(delivery: Delivery, job: JobRecord): EdgeOutcome {
  if (job.state !== JobState.succeeded) throw JobError.nonRetryable(`edge job ${job.id} ${job.state}: ${job.error?.message ?? 'no reason given'}`);
  return { edgeJobId: job.id, result: job.result, deduplicated: delivery.deduplicated };
}

/** What the outbox handler returns: the edge job's id and result. */
export interface EdgeOutcome {
  readonly edgeJobId: string;
  readonly result: Json;
  /** The edge had the job already: an earlier delivery reached it though its answer was lost. */
  readonly deduplicated: boolean;
}

/**
 * The handler that delivers browser jobs to the edge, for `hostScheduler`'s
 * `handlers` (under the type `toEdge` uses, `'edge'` by default).
 *
 * A job is stored in IndexedDB first, so it survives offline periods,
 * reloads and crashes; the handler then submits it to the edge with one
 * idempotency key for its whole life (the job's own `idempotencyKey`, or
 * its id) and its trace context, records the edge's job id as a durable
 * step, and waits for the edge's result, which becomes the local result.
 * A lost answer is harmless: the replay carries the same key and the edge
 * returns the original job instead of running it again. Jobs that start
 * together share requests: one batch submit, one long poll for results.
 *
 * A job with an ordering `key` is sent with that key, and the edge runs
 * the key's jobs one at a time in the order it stored them: so once the
 * edge has accepted a job, the handler releases the key
 * (`ctx.releaseKey`), and the next job of the key is sent while this one
 * waits for its result. A job whose request or answer was lost has not
 * released it: the next waits until a retry finds the job at the edge.
 * (`orderAtEdge: false` keeps each waiting for the one before it to finish.)
 *
 * Failures follow the core policies: a network error parks the job without
 * spending an attempt (offline is not failure); 429 and 5xx back off,
 * honouring `Retry-After`; any other 4xx, or the edge job failing, fails
 * the local job with the server's message.
 */
export function edgeHandler(options: OutboxOptions): (job: EdgeJob, ctx: JobContext) => Promise<EdgeOutcome> {
  const dedupWindowMs = options.dedupWindowMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
  const waitMs = options.waitMs ?? 20_000;
  const now = options.now ?? (() => Date.now());
  // One batcher per edge queue and token: a refreshed token starts a new one.
  const batchers = new Map<string, EdgeBatcher>();
  const batcher = async (queue: string): Promise<EdgeBatcher> => {
    const token = typeof options.token === 'string' ? options.token : await options.token();
    const id = `${queue}\u0000${token}`;
    let found = batchers.get(id);
    if (found === undefined) {
      for (const key of batchers.keys()) if (key.startsWith(`${queue}\u0000`)) batchers.delete(key);
      const client = createClient({ baseUrl: options.baseUrl, token, ...(options.fetch === undefined ? {} : { fetch: options.fetch }) });
      found = new EdgeBatcher(client.queue(queue), { windowMs: options.batchWindowMs ?? 5, waitMs, submitWaitMs: Math.min(waitMs, 1_000) });
      batchers.set(id, found);
    }
    return found;
  };

  return async (edge, ctx) => {
    const edgeQueue = await batcher(edge.queue ?? options.queue ?? 'default');
    const local = ctx.job;
    const idempotencyKey = local.idempotencyKey ?? `baton-outbox:${local.id}`;
    const ageMs = now() - local.createdAtMs;
    if (ageMs >= dedupWindowMs) {
      // Too old to send: the edge may have forgotten an earlier delivery. One that was recorded is still waited for.
      const known = await ctx.step<Delivery | null>('deliver', () => null);
      if (known === null) {
        throw JobError.nonRetryable(
          `expired: queued ${Math.round(ageMs / 1000)} s ago, past the edge's ${Math.round(dedupWindowMs / 1000)} s idempotency window; not sent again, as the edge could run it twice`,
        );
      }
      // The edge has it (and orders it in its key): the rest of the key need not wait.
      if (options.orderAtEdge !== false) await ctx.releaseKey();
      return finish(known, await edgeQueue.finished(known.id));
    }
    const input = {
      type: edge.type,
      payload: edge.payload ?? null,
      idempotencyKey,
      idempotencyTtlMs: dedupWindowMs,
      // This delivery's span (with instrumentation), so the edge's spans nest under it.
      ...(ctx.trace === null ? {} : { trace: ctx.trace }),
      tags: [...local.tags, 'outbox', `browser-job:${local.id}`],
    };
    if (local.key === null || options.orderAtEdge === false) {
      // Sent on every attempt: the key makes a repeat return the original job. The edge usually answers
      // with the job already run, and then nothing more needs recording before the local job completes.
      const { job, deduplicated } = await edgeQueue.submit(input);
      if (isTerminal(job.state)) return finish({ id: job.id, deduplicated }, job);
      // Still running there: record the delivery, so that it is waited for even past the window.
      const delivery = await ctx.step<Delivery | null>('deliver', () => ({ id: job.id, deduplicated }));
      return finish(delivery ?? { id: job.id, deduplicated }, await edgeQueue.finished(job.id));
    }
    // A keyed job goes with its key, and the edge orders the key's jobs from then on: once the edge has
    // stored it (the answer comes at acceptance), the next local job of the key may go too. A lost answer
    // releases nothing: the retry finds the original job by its idempotency key, in its place.
    const { job, deduplicated } = await edgeQueue.accept({ ...input, key: local.key });
    const released = ctx.releaseKey();
    const delivery = isTerminal(job.state) ? null : await ctx.step<Delivery | null>('deliver', () => ({ id: job.id, deduplicated }));
    await released;
    if (isTerminal(job.state)) return finish({ id: job.id, deduplicated }, job);
    return finish(delivery ?? { id: job.id, deduplicated }, await edgeQueue.finished(job.id));
  };
}

/**
 * A local job that the outbox delivers to the edge: marked as needing the
 * network, ordered after earlier jobs with the same `key`, and retried with
 * exponential backoff and full jitter.
 *
 * @example
 * await baton.submit(toEdge({ type: 'email', payload: { to } }, { key: `user:${id}`, idempotencyKey: `welcome:${id}` }));
 */
export function toEdge<T extends string = 'edge'>(
  edge: EdgeJob,
  local: Omit<JobInput<T, EdgeJob>, 'type' | 'payload'> & { readonly type?: T } = {},
): JobInput<T, EdgeJob> & { readonly payload: EdgeJob } {
  return {
    network: true,
    retry: { maxAttempts: 10, backoff: { kind: 'exponential', delayMs: 500, maxDelayMs: 30_000, jitter: 'full' } },
    ...local,
    type: (local.type ?? 'edge') as T,
    payload: edge,
  };
}
