/**
 * Scenario 1, the scheduler hot path: submit → run → complete of no-op jobs
 * over 5 priority levels, with the backlog held at 1k or 100k and
 * concurrency 1 or 64, in memory. Every system is fed the same way (see
 * `counter`), so the whole measured stretch runs at the stated backlog.
 * Peers: fastq (FIFO, the cost floor) and p-queue (priorities), same process.
 */
import { createScheduler, type Instrumentation, MemoryStore, type Priority, type RetentionOptions } from '@baton/core';
import { systemClock, systemRandom } from '@baton/core/system';
import fastq from 'fastq';
import PQueue from 'p-queue';

export interface Config {
  readonly jobs: number;
  readonly backlog: number;
  readonly concurrency: number;
}

export type System = (config: Config) => Promise<number>;

const priorities = (n: number): Priority => ((n * 7919) % 5) as Priority; // a fixed mix over 5 levels

/** Returns elapsed ms for `config.jobs` completions through Baton's scheduler on the memory store. */
export const baton: System = (config) => batonWith(config);

/** `baton`, with `instrumentation` (the tracing benchmark's variants), or succeeded jobs kept under a `retention` (the storage benchmark's). */
export async function batonWith(
  { jobs, backlog, concurrency }: Config,
  instrumentation?: Instrumentation,
  keep?: { readonly retention: RetentionOptions; readonly store: MemoryStore },
  keepSucceeded = false,
): Promise<number> {
  const feed = counter(jobs);
  const scheduler = createScheduler({
    ...(instrumentation === undefined ? {} : { instrumentation }),
    store: keep?.store ?? new MemoryStore(),
    clock: systemClock(),
    random: systemRandom(),
    queues: { default: { concurrency } },
    keepSucceeded,
    ...(keep === undefined ? {} : { retention: keep.retention }),
    handlers: {
      noop: async () => {
        if (!feed.stopped) void scheduler.submit({ type: 'noop', priority: priorities(feed.submitted++) });
        feed.completed();
        return null;
      },
    },
  });
  const prefill: Promise<unknown>[] = [];
  while (feed.submitted < backlog) prefill.push(scheduler.submit({ type: 'noop', priority: priorities(feed.submitted++) }));
  await Promise.all(prefill);
  const elapsed = await feed.measure();
  const m = await scheduler.metrics();
  if ((m.byType.noop?.succeeded ?? 0) < jobs) throw new Error(`baton ran ${m.byType.noop?.succeeded} of ${jobs} jobs`);
  await scheduler.stop({ abort: true });
  return elapsed;
}

/**
 * Feeding and timing, the same for every system: the backlog is filled
 * first; the clock runs from then to the `jobs`-th completion, while each
 * started job submits the next, so the backlog holds.
 */
function counter(jobs: number) {
  let done = 0;
  let counting = false;
  let startMs = 0;
  let finish!: (ms: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  return {
    submitted: 0,
    stopped: false,
    completed(): void {
      if (counting && ++done === jobs) {
        this.stopped = true;
        finish(performance.now() - startMs);
      }
    },
    measure(): Promise<number> {
      startMs = performance.now();
      counting = true;
      return finished;
    },
  };
}

export const fastqPeer: System = async ({ jobs, backlog, concurrency }) => {
  const feed = counter(jobs);
  const queue = fastq.promise(async (_p: number) => {
    if (!feed.stopped) void queue.push(priorities(feed.submitted++));
    feed.completed();
    return null;
  }, concurrency);
  while (feed.submitted < backlog) void queue.push(priorities(feed.submitted++));
  const elapsed = await feed.measure();
  queue.kill();
  return elapsed;
};

export const pQueuePeer: System = async ({ jobs, backlog, concurrency }) => {
  const feed = counter(jobs);
  const queue = new PQueue({ concurrency });
  const task = async () => {
    if (!feed.stopped) void queue.add(task, { priority: priorities(feed.submitted++) });
    feed.completed();
    return null;
  };
  while (feed.submitted < backlog) void queue.add(task, { priority: priorities(feed.submitted++) });
  const elapsed = await feed.measure();
  queue.clear();
  await queue.onIdle();
  return elapsed;
};

export const SYSTEMS: Readonly<Record<string, System>> = { baton, fastq: fastqPeer, 'p-queue': pQueuePeer };
