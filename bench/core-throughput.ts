/**
 * Scenario 1, the scheduler hot path: submit → run → complete of no-op jobs
 * over 5 priority levels, with the backlog held at 1k or 100k and
 * concurrency 1 or 64, in memory. Every system is fed the same way: each
 * job that starts submits the next, so the backlog stays where it was filled.
 * Peers: fastq (FIFO, the cost floor) and p-queue (priorities), same process.
 */
import { createRandom, createScheduler, createTimerClock, MemoryStore } from '@baton/core';
import fastq from 'fastq';
import PQueue from 'p-queue';

export interface Config {
  readonly jobs: number;
  readonly backlog: number;
  readonly concurrency: number;
}

export type System = (config: Config) => Promise<number>;

const priorities = (n: number): number => (n * 7919) % 5; // a fixed mix over 5 levels

/** Returns elapsed ms for `config.jobs` jobs through Baton's scheduler on the memory store. */
export const baton: System = async ({ jobs, backlog, concurrency }) => {
  let submitted = 0;
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const scheduler = createScheduler({
    store: new MemoryStore(),
    clock: createTimerClock({ now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h) }),
    random: createRandom(Math.random),
    queues: { default: { concurrency } },
    keepSucceeded: false,
    handlers: {
      noop: async () => {
        if (submitted < jobs) void scheduler.submit({ type: 'noop', priority: priorities(submitted++) });
        if (++done === jobs) finish();
        return null;
      },
    },
  });
  const start = performance.now();
  scheduler.start();
  while (submitted < Math.min(backlog, jobs)) void scheduler.submit({ type: 'noop', priority: priorities(submitted++) });
  await finished;
  await scheduler.whenIdle();
  const elapsed = performance.now() - start;
  const m = await scheduler.metrics();
  if (m.depth.ready.total + m.depth.running.total !== 0) throw new Error(`baton left work behind: ${JSON.stringify(m.depth)}`);
  await scheduler.stop();
  return elapsed;
};

export const fastqPeer: System = async ({ jobs, backlog, concurrency }) => {
  let submitted = 0;
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const queue = fastq.promise(async (_p: number) => {
    if (submitted < jobs) void queue.push(priorities(submitted++));
    if (++done === jobs) finish();
    return null;
  }, concurrency);
  const start = performance.now();
  while (submitted < Math.min(backlog, jobs)) void queue.push(priorities(submitted++));
  await finished;
  return performance.now() - start;
};

export const pQueuePeer: System = async ({ jobs, backlog, concurrency }) => {
  let submitted = 0;
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const queue = new PQueue({ concurrency });
  const task = async () => {
    if (submitted < jobs) void queue.add(task, { priority: priorities(submitted++) });
    if (++done === jobs) finish();
    return null;
  };
  const start = performance.now();
  while (submitted < Math.min(backlog, jobs)) void queue.add(task, { priority: priorities(submitted++) });
  await finished;
  await queue.onIdle();
  return performance.now() - start;
};

export const SYSTEMS: Readonly<Record<string, System>> = { baton, fastq: fastqPeer, 'p-queue': pQueuePeer };
