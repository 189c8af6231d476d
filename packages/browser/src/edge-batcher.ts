import { classify, FailureKind, type JobInput, type JobRecord, type SubmitResult } from '@baton/core';
import { BatonHttpError, type QueueClient } from '@baton/edge/client';

type EdgeInput = Omit<JobInput<string, unknown>, 'queue'>;

interface Pending<I, O> {
  readonly input: I;
  readonly resolve: (value: O) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Collects calls made within `windowMs` (or until `max`) and answers them
 * from one request. A group (`addAll`) goes in one request, never split.
 */
class Coalescer<I, O> {
  private pending: Array<Array<Pending<I, O>>> = [];
  private count = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  private readonly windowMs: number;
  private readonly max: number;
  private readonly send: (batch: Array<Pending<I, O>>) => Promise<void>;

  constructor(windowMs: number, max: number, send: (batch: Array<Pending<I, O>>) => Promise<void>) {
    this.windowMs = windowMs;
    this.max = max;
    this.send = send;
  }

  add(input: I): Promise<O> {
    return this.addAll([input])[0]!;
  }

  /** Each input's answer; the inputs go together, in this order (at most `max` of them). */
  addAll(inputs: readonly I[]): Array<Promise<O>> {
    if (inputs.length > this.max) throw new RangeError(`at most ${this.max} in one group, got ${inputs.length}`);
    const group: Array<Pending<I, O>> = [];
    const answers = inputs.map((input) => new Promise<O>((resolve, reject) => group.push({ input, resolve, reject })));
    this.pending.push(group);
    this.count += group.length;
    if (this.count >= this.max) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    return answers;
  }

  private flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const batch: Array<Pending<I, O>> = [];
    while (this.pending.length > 0 && batch.length + this.pending[0]!.length <= this.max) batch.push(...this.pending.shift()!);
    this.count -= batch.length;
    if (batch.length > 0) {
      void this.send(batch).catch((error: unknown) => {
        for (const p of batch) p.reject(error);
      });
    }
    if (this.pending.length > 0) this.timer = setTimeout(() => this.flush(), this.windowMs);
  }
}

/**
 * Runs `request` again, at once, when it got no answer at all (a cut
 * connection, a lost answer), up to `times` more times: for requests that
 * may be repeated (submits with idempotency keys, reads). A network that
 * stays down still fails it, and the job parks.
 */
async function again<T>(times: number, request: () => Promise<T>): Promise<T> {
  for (let left = times; ; left--) {
    try {
      return await request();
    } catch (error) {
      if (left <= 0 || classify(error, 0).kind !== FailureKind.offline) throw error;
    }
  }
}

/**
 * The outbox's traffic to one edge queue, batched: the submits of jobs that
 * start together go as one atomic batch request, which the edge answers
 * once they have run (up to `submitWaitMs`), or at once for `accept`; jobs
 * still running then are waited for with one long poll (`waitAny`) per
 * round. A batch the edge refuses with a 4xx is sent again job by job, so
 * one bad job fails only itself. A request that got no answer is sent again
 * at once, up to `networkRetries` times (every submit has an idempotency key).
 */
export class EdgeBatcher {
  private readonly submits: Coalescer<EdgeInput, SubmitResult>;
  private readonly accepts: Coalescer<EdgeInput, SubmitResult>;
  private readonly waits: Coalescer<string, JobRecord>;
  private readonly peeks: Coalescer<string, JobRecord | null>;
  private readonly limit: number;

  constructor(
    queue: QueueClient,
    options: { readonly windowMs: number; readonly waitMs: number; readonly submitWaitMs: number; readonly max?: number; readonly networkRetries?: number },
  ) {
    const max = options.max ?? 100;
    this.limit = max;
    const retries = options.networkRetries ?? 2;
    const submitter = (waitMs: number) => {
      const submitOne = ({ idempotencyKey, ...job }: EdgeInput) => queue.submit(job, idempotencyKey === undefined ? { waitMs } : { idempotencyKey, waitMs });
      return new Coalescer<EdgeInput, SubmitResult>(options.windowMs, max, async (batch) => {
        let results: SubmitResult[];
        try {
          results = await again(retries, () =>
            queue.submitAll(
              batch.map((p) => p.input),
              { waitMs },
            ),
          );
        } catch (error) {
          // Refused as a whole, for a reason a retry would not change: find the one(s) to blame.
          if (batch.length === 1 || !(error instanceof BatonHttpError) || error.retryable) throw error;
          for (const p of batch) await submitOne(p.input).then(p.resolve, p.reject);
          return;
        }
        for (const [i, p] of batch.entries()) p.resolve(results[i]!);
      });
    };
    this.submits = submitter(options.submitWaitMs);
    this.accepts = submitter(0);
    this.waits = new Coalescer(options.windowMs, max, async (batch) => {
      let open = batch;
      while (open.length > 0) {
        const ids = open.map((p) => p.input);
        const jobs = await again(retries, () => queue.waitAny(ids, { waitMs: options.waitMs }));
        const still: typeof open = [];
        open.forEach((p, i) => {
          const job = jobs[i];
          if (job === null || job === undefined) p.reject(new Error(`The edge has no job ${p.input}`));
          else if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled') p.resolve(job);
          else still.push(p);
        });
        open = still;
      }
    });
    this.peeks = new Coalescer(options.windowMs, max, async (batch) => {
      const jobs = await again(retries, () =>
        queue.waitAny(
          batch.map((p) => p.input),
          { waitMs: 0 },
        ),
      );
      batch.forEach((p, i) => {
        p.resolve(jobs[i] ?? null);
      });
    });
  }

  /** The edge job as it is now (`null` if the edge has none), many to a request. */
  peek(id: string): Promise<JobRecord | null> {
    return this.peeks.add(id);
  }

  /** Submits; the record that comes back has finished if the edge ran it within `submitWaitMs`. */
  submit(job: EdgeInput): Promise<SubmitResult> {
    return this.submits.add(job);
  }

  /** Submits; answered as soon as the edge has stored the job (or found it by its idempotency key). */
  accept(job: EdgeInput): Promise<SubmitResult> {
    return this.accepts.add(job);
  }

  /**
   * As `accept`, for jobs that must reach the edge in this order: they go
   * in one request (at most `max`), so the edge stores them as one atomic,
   * ordered batch. Each job's answer, or why it was refused.
   */
  acceptAll(jobs: readonly EdgeInput[]): Promise<Array<PromiseSettledResult<SubmitResult>>> {
    return Promise.allSettled(this.accepts.addAll(jobs));
  }

  /** The most jobs one request carries. */
  get max(): number {
    return this.limit;
  }

  /** Resolves with the edge job once it has finished. */
  finished(id: string): Promise<JobRecord> {
    return this.waits.add(id);
  }
}
