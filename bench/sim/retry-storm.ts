/**
 * Retry storms, in virtual time: every system runs the same jobs against
 * the same simulated dependency under the same fake timers (@sinonjs/fake-timers),
 * so a minute of outage takes a second of CPU and every run is repeatable.
 */
import FakeTimers from '@sinonjs/fake-timers';
import { Dependency } from './dependency.ts';
import { baton, cockatielRetry, cockatielRetryBreaker, exponentialNoJitter, immediate, pRetrySystem, type System } from './systems.ts';

export interface StormResult {
  readonly system: string;
  readonly jobs: number;
  readonly completed: number;
  readonly attemptsPerJob: number;
  readonly callsDuringOutage: number;
  readonly drainAfterRecoveryMs: number | null;
  readonly peakToMeanRetryRate: number | null;
}

export interface StormScenario {
  readonly name: string;
  readonly jobs: number;
  /** Whether the dependency is down at `t` ms into the scenario. */
  readonly isDown: (tMs: number) => boolean;
  /** When it is up for good. */
  readonly recoveredAtMs: number;
  readonly latencyMs: number;
  readonly limitMs: number;
}

export const OUTAGE: StormScenario = {
  name: 'dependency down for 10 s',
  jobs: 1000,
  isDown: (t) => t < 10_000,
  recoveredAtMs: 10_000,
  latencyMs: 10,
  limitMs: 300_000,
};
export const FLAPPING: StormScenario = {
  name: 'dependency flapping (2 s down, 1 s up) for 15 s',
  jobs: 1000,
  isDown: (t) => t < 15_000 && t % 3_000 < 2_000,
  recoveredAtMs: 15_000,
  latencyMs: 10,
  limitMs: 300_000,
};

const BREAKER = { kind: 'consecutive' as const, threshold: 5, openMs: 2_000 };
const BUDGET = { ratio: 0.1, windowMs: 10_000, minRetries: 3 };

export const STORM_SYSTEMS: ReadonlyArray<readonly [string, System]> = [
  ['immediate retry', immediate],
  ['exponential, no jitter', exponentialNoJitter],
  ['p-retry (defaults)', pRetrySystem],
  ['cockatiel retry', cockatielRetry],
  ['cockatiel retry + breaker', cockatielRetryBreaker],
  ['baton, full jitter', baton({})],
  ['baton, decorrelated jitter', baton({}, { jitter: 'decorrelated' })],
  ['baton + breaker', baton({ breaker: BREAKER })],
  ['baton + budget', baton({ retryBudget: BUDGET })],
  ['baton + budget + breaker', baton({ retryBudget: BUDGET, breaker: BREAKER })],
];

export async function runStorm(scenario: StormScenario, name: string, system: System, seed: number): Promise<StormResult> {
  const start = 1_800_000_000_000;
  const clock = FakeTimers.install({ now: start, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  try {
    const dep = new Dependency({ startMs: start, latencyMs: scenario.latencyMs, isDown: scenario.isDown });
    const run = system(dep, scenario.jobs, seed);
    let finished = false;
    void run.finished.then(() => (finished = true));
    while (!finished && clock.now - start < scenario.limitMs) await clock.tickAsync(100);
    const completed = run.done.filter((t) => t >= 0).length;
    const retries = dep.calls.filter((c) => c.attempt > 1);
    let peakToMean: number | null = null;
    if (retries.length > 0) {
      const first = retries[0]!.atMs;
      const buckets = new Array<number>(Math.floor((retries.at(-1)!.atMs - first) / 100) + 1).fill(0);
      for (const c of retries) buckets[Math.floor((c.atMs - first) / 100)]!++;
      peakToMean = Math.max(...buckets) / (retries.length / buckets.length);
    }
    return {
      system: name,
      jobs: scenario.jobs,
      completed,
      attemptsPerJob: dep.calls.length / scenario.jobs,
      callsDuringOutage: dep.calls.filter((c) => c.atMs < scenario.recoveredAtMs).length,
      drainAfterRecoveryMs: completed === scenario.jobs ? Math.max(0, Math.max(...run.done) - scenario.recoveredAtMs) : null,
      peakToMeanRetryRate: peakToMean,
    };
  } finally {
    clock.uninstall();
  }
}
