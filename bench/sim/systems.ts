/**
 * The systems under test in the retry-storm scenarios: Baton's scheduler in
 * several configurations, and the peers, all calling the same simulated
 * dependency under the same fake timers. Each runs `jobs` jobs to success.
 */
import { createRandom, createScheduler, MemoryStore, type ResourceOptions } from '@baton/core';
import { systemClock } from '@baton/core/system';
import { SeededRandom } from '@baton/core/testing';
import { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleAll, retry, wrap } from 'cockatiel';
import pRetry from 'p-retry';
import type { Dependency } from './dependency.ts';

export interface Run {
  /** Resolves when every job has succeeded; `done[i]` is when job i did (scenario ms). */
  readonly finished: Promise<void>;
  readonly done: number[];
}

export type System = (dep: Dependency, jobs: number, seed: number) => Run;

function tracker(jobs: number): { done: number[]; finish: (job: number, atMs: number) => void; finished: Promise<void> } {
  const done: number[] = new Array(jobs).fill(-1);
  let left = jobs;
  let resolve!: () => void;
  const finished = new Promise<void>((r) => (resolve = r));
  return {
    done,
    finished,
    finish: (job, atMs) => {
      if (done[job] === -1) {
        done[job] = atMs;
        if (--left === 0) resolve();
      }
    },
  };
}

/** A hand-written retry loop per job: `waitMs(attempt)` after each failure (0: at once). */
function retryLoop(waitMs: (attempt: number) => number): System {
  return (dep, jobs) => {
    const t = tracker(jobs);
    for (let job = 0; job < jobs; job++) {
      void (async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            await dep.call(job, attempt);
            return t.finish(job, dep.now());
          } catch {
            const ms = waitMs(attempt);
            if (ms > 0) await new Promise((r) => setTimeout(r, ms));
          }
        }
      })();
    }
    return t;
  };
}

/** Retries at once, forever: the storm. */
export const immediate: System = retryLoop(() => 0);

/** Exponential backoff from 100 ms, ×2, capped at 10 s, no jitter: synchronized waves. */
export const exponentialNoJitter: System = retryLoop((attempt) => Math.min(10_000, 100 * 2 ** (attempt - 1)));

/** cockatiel's retry with its ExponentialBackoff defaults (decorrelated jitter from 128 ms, ≤ 30 s), optionally inside its consecutive breaker. */
function cockatielSystem(withBreaker: boolean): System {
  return (dep, jobs) => {
    const t = tracker(jobs);
    const retryPolicy = retry(handleAll, { maxAttempts: Infinity, backoff: new ExponentialBackoff() });
    const breaker = circuitBreaker(handleAll, { halfOpenAfter: 2_000, breaker: new ConsecutiveBreaker(5) });
    const policy = withBreaker ? wrap(retryPolicy, breaker) : retryPolicy;
    for (let job = 0; job < jobs; job++) {
      let attempt = 0;
      void policy.execute(() => dep.call(job, ++attempt)).then(() => t.finish(job, dep.now()));
    }
    return t;
  };
}
export const cockatielRetry = cockatielSystem(false);
export const cockatielRetryBreaker = cockatielSystem(true);

/** p-retry with its defaults (×2 from 1 s, no jitter) and enough retries to outlast the outage. */
export const pRetrySystem: System = (dep, jobs) => {
  const t = tracker(jobs);
  for (let job = 0; job < jobs; job++) {
    let attempt = 0;
    void pRetry(() => dep.call(job, ++attempt), { retries: 30 }).then(() => t.finish(job, dep.now()));
  }
  return t;
};

/** Baton's scheduler on the memory store, with the resource options given. */
export function baton(resource: ResourceOptions, backoff: { jitter: 'full' | 'decorrelated' } = { jitter: 'full' }): System {
  return (dep, jobs, seed) => {
    const t = tracker(jobs);
    const seeded = new SeededRandom(seed);
    const scheduler = createScheduler({
      store: new MemoryStore(),
      clock: systemClock(),
      random: createRandom(() => seeded.next()),
      queues: { default: { concurrency: jobs } },
      keepSucceeded: false,
      retry: { maxAttempts: 100, backoff: { kind: 'exponential', delayMs: 100, maxDelayMs: 10_000, jitter: backoff.jitter, priorityScale: 0 } },
      resources: { dependency: resource },
      handlers: {
        call: async (p: { job: number }, ctx) => {
          await dep.call(p.job, ctx.attempt);
          t.finish(p.job, dep.now());
        },
      },
    });
    void scheduler.submitAll(Array.from({ length: jobs }, (_, job) => ({ type: 'call' as const, payload: { job }, resource: 'dependency' })));
    return t;
  };
}
