import {
  DEFAULT_IDEMPOTENCY_TTL_MS,
  JobError,
  JobState,
  isTerminal,
  type JobContext,
  type JobInput,
  type JobRecord,
  type Json,
  type SubmitResult,
} from '@baton/core';
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
  /**
   * With `orderAtEdge`, how many of the jobs queued behind a keyed job in
   * its key it sends along with itself, in one ordered batch, releasing
   * them all at once (`ctx.keySuccessors`, `ctx.releaseKey({ through })`):
   * a key's jobs then reach the edge a batch per round trip rather than one.
   * Each of them still runs locally and finds its delivery deduplicated.
   * Only jobs this handler would send the same way go along (the same local
   * type and edge queue, no dependencies, delay or deadline, well inside
   * `dedupWindowMs`). The catch: once sent along, a job is at the edge, and
   * cancelling it locally no longer stops it there. `0` sends each job
   * itself. @default 99 (a batch of 100)
   */
  readonly lookAhead?: number;
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

/**
 * The local outcome of a job the edge has: at once if the edge ran it already; else its delivery is
 * recorded first (so that it is waited for even past the idempotency window), then its result waited for.
 */
async function outcome(ctx: JobContext, edgeQueue: EdgeBatcher, job: JobRecord, deduplicated: boolean): Promise<EdgeOutcome> {
  if (isTerminal(job.state)) return finish({ id: job.id, deduplicated }, job);
  const delivery = await ctx.step<Delivery | null>('deliver', () => ({ id: job.id, deduplicated }));
  return finish(delivery ?? { id: job.id, deduplicated }, await edgeQueue.finished(job.id));
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
 * It also sends along the jobs queued behind it in the key (`lookAhead`),
 * in the same ordered batch, and releases them all once the edge has them;
 * each then runs to find its delivery deduplicated at the edge, and waits
 * for its own result. A key's jobs so take a round trip per batch, not one
 * each. (`orderAtEdge: false` keeps each waiting for the one before it to
 * finish.)
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

  const lookAhead = Math.max(0, Math.floor(options.lookAhead ?? 99));
  const edgeInput = (job: JobRecord, trace: JobContext['trace']) => {
    const edge = job.payload as unknown as EdgeJob;
    return {
      type: edge.type,
      payload: edge.payload ?? null,
      idempotencyKey: job.idempotencyKey ?? `baton-outbox:${job.id}`,
      idempotencyTtlMs: dedupWindowMs,
      // This delivery's span (with instrumentation), so the edge's spans nest under it.
      ...(trace === null ? {} : { trace }),
      tags: [...job.tags, 'outbox', `browser-job:${job.id}`],
    };
  };
  // A job sent along with the head of its key: as its own delivery would send it, with the trace it was submitted with.
  const inputOf = (job: JobRecord, key: string) => ({ ...edgeInput(job, job.trace), key });
  /** Whether a job queued behind `ctx.job` goes to the edge as its own delivery would, now: else `null`, which ends the look-ahead. */
  const sameWay =
    (ctx: JobContext, edge: EdgeJob) =>
    (job: JobRecord): JobRecord | null => {
      const queueOf = (e: EdgeJob) => e.queue ?? options.queue ?? 'default';
      const payload = job.payload as unknown as EdgeJob | null;
      const young = now() - job.createdAtMs < dedupWindowMs / 2; // it runs soon after, well inside the window
      const plain = job.dependsOn.length === 0 && job.deadlineAtMs === null && (job.runAtMs === null || job.runAtMs <= now());
      const same =
        job.type === ctx.job.type && payload !== null && typeof payload === 'object' && typeof payload.type === 'string' && queueOf(payload) === queueOf(edge);
      return young && plain && same ? job : null;
    };

  /**
   * The edge's answers for jobs a key's head sent along, by idempotency key:
   * such a job, when it runs, knows its delivery without asking the edge
   * again. Memory only (a reload asks the edge, which deduplicates); each is
   * used once, and the oldest go first past `SENT_ALONG_MAX`.
   */
  const sentAlong = new Map<string, SubmitResult>();

  return async (edge, ctx) => {
    const edgeQueue = await batcher(edge.queue ?? options.queue ?? 'default');
    const local = ctx.job;
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
    const input = edgeInput(local, ctx.trace);
    if (local.key === null || options.orderAtEdge === false) {
      // Sent on every attempt: the key makes a repeat return the original job. The edge usually answers
      // with the job already run, and then nothing more needs recording before the local job completes.
      const { job, deduplicated } = await edgeQueue.submit(input);
      return outcome(ctx, edgeQueue, job, deduplicated);
    }
    const known = sentAlong.get(input.idempotencyKey);
    if (known !== undefined) {
      // Sent along by its key's head, which released it: the edge has it, in its place.
      sentAlong.delete(input.idempotencyKey);
      const { deduplicated } = known;
      // Often run at the edge by now: then there is nothing to record before the local job completes.
      const job = isTerminal(known.job.state) ? known.job : ((await edgeQueue.peek(known.job.id)) ?? known.job);
      return outcome(ctx, edgeQueue, job, deduplicated);
    }
    // A keyed job goes with its key, and the edge orders the key's jobs from then on: once the edge has
    // stored it (the answer comes at acceptance), the next local job of the key may go too. A lost answer
    // releases nothing: the retry finds the original job by its idempotency key, in its place.
    // The jobs queued behind it that go the same way are sent with it, in key order, in one atomic batch.
    const ahead = lookAhead === 0 ? [] : (await ctx.keySuccessors({ limit: Math.min(lookAhead, edgeQueue.max - 1) })).map(sameWay(ctx, edge));
    const cut = ahead.indexOf(null);
    const along = (cut === -1 ? ahead : ahead.slice(0, cut)) as JobRecord[];
    const answers = await edgeQueue.acceptAll([{ ...input, key: local.key }, ...along.map((j) => inputOf(j, local.key!))]);
    if (answers[0]!.status === 'rejected') throw answers[0]!.reason;
    const { job, deduplicated } = answers[0]!.value;
    // Released through the last of those the edge accepted, up to the first it refused (which runs itself).
    const accepted = answers.slice(1).findIndex((a) => a.status === 'rejected');
    const sent = accepted === -1 ? along : along.slice(0, accepted);
    const through = sent.at(-1)?.id;
    const released = ctx.releaseKey(through === undefined ? undefined : { through });
    // All but the last: it goes on as a head (its successors still wait for it), asking the edge again.
    sent.slice(0, -1).forEach((j, i) => {
      const answer = answers[i + 1]!;
      if (answer.status === 'fulfilled') sentAlong.set(inputOf(j, local.key!).idempotencyKey, answer.value);
    });
    for (const key of sentAlong.keys()) {
      if (sentAlong.size <= SENT_ALONG_MAX) break;
      sentAlong.delete(key);
    }
    const delivery = isTerminal(job.state) ? null : await ctx.step<Delivery | null>('deliver', () => ({ id: job.id, deduplicated }));
    await released;
    if (isTerminal(job.state)) return finish({ id: job.id, deduplicated }, job);
    return finish(delivery ?? { id: job.id, deduplicated }, await edgeQueue.finished(job.id));
  };
}

/** Answers kept for jobs sent along (see `edgeHandler`): beyond it, the oldest are asked for again. */
const SENT_ALONG_MAX = 10_000;

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
