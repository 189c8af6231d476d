import { JobState } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { START_MS } from '../rig.ts';
import { scenarios } from './scenario.ts';

/**
 * Protecting a shared resource: the circuit breaker, which survives a restart,
 * and the retry budget.
 */
export function resources(harness: StoreHarness): ConformanceGroup {
  const scenario = scenarios(harness);
  const cases: ConformanceCase[] = [
    scenario<{ call: Handler }, { down: boolean; calls: number[] }>(
      'defers jobs while a resource breaker is open, spending no attempt, and resumes after a probe succeeds',
      (rig) => {
        const state = { down: true, calls: [] as number[] };
        return {
          state,
          handlers: {
            call: async () => {
              state.calls.push(rig().clock.now() - START_MS);
              if (state.down) throw Object.assign(new Error('upstream 503'), { status: 503 });
              return 'ok';
            },
          },
          queues: { default: { concurrency: 1 } },
          retry: { maxAttempts: 10, backoff: { kind: 'constant', delayMs: 100, jitter: 'none', priorityScale: 0 } },
          resources: { api: { breaker: { kind: 'consecutive', threshold: 2, openMs: 5_000 }, adaptive: false } },
        };
      },
      async (rig, state) => {
        const first = (await rig.scheduler.submit({ type: 'call', resource: 'api' })).job;
        await rig.advance(150);
        deepEqual(state.calls, [0, 100], 'two failures open the breaker');
        const later = await rig.scheduler.submitAll(Array.from({ length: 3 }, () => ({ type: 'call' as const, resource: 'api' })));
        await rig.advance(1_000);
        deepEqual(state.calls, [0, 100], 'no call reaches the resource while it is open');
        for (const r of later) {
          const job = (await rig.store.get(r.job.id))!;
          equal(job.state, JobState.scheduled, 'deferred');
          equal(job.attempt, 0, 'no attempt spent');
          ok(job.history.at(-1)!.cause.message!.includes('breaker open on api'), `cause: ${job.history.at(-1)!.cause.message}`);
        }
        equal((await rig.store.get(first.id))!.attempt, 2, 'the retrying job spent no attempt either');
        equal((await rig.scheduler.metrics()).resources.api?.breaker, 'open', 'metrics show the breaker');
        state.down = false;
        // Deferred wake-ups are spread over as long again as the wait: all are back within 2 × openMs.
        await rig.advance(10_000);
        for (const r of [{ job: first }, ...later]) equal((await rig.store.get(r.job.id))!.state, JobState.succeeded, 'all succeed after recovery');
        equal(state.calls.filter((t) => t >= 150).length, 4, 'one call per job after recovery: the probe, then the rest');
        equal((await rig.scheduler.metrics()).resources.api?.breaker, 'closed', 'closed again');
      },
    ),

    scenario<{ call: Handler }, { calls: number }>(
      'keeps an open breaker open across a restart',
      () => {
        const state = { calls: 0 };
        return {
          state,
          handlers: {
            call: async () => {
              state.calls++;
              throw Object.assign(new Error('upstream 500'), { status: 500 });
            },
          },
          retry: { maxAttempts: 1 },
          resources: { api: { breaker: { kind: 'consecutive', threshold: 1, openMs: 60_000 } } },
        };
      },
      async (rig, state) => {
        await rig.scheduler.waitFor((await rig.scheduler.submit({ type: 'call', resource: 'api' })).job.id);
        equal(state.calls, 1, 'one failure');
        await rig.crashAndRestart();
        const { job } = await rig.scheduler.submit({ type: 'call', resource: 'api' });
        await rig.advance(1_000);
        equal(state.calls, 1, 'the new scheduler still refuses calls');
        equal((await rig.store.get(job.id))!.state, JobState.scheduled, 'deferred by the restored breaker');
      },
    ),

    scenario<{ call: Handler }, { calls: Map<string, number>; down: boolean }>(
      'holds retries to the resource retry budget, deferring the rest without spending attempts',
      (rig) => {
        const state = { calls: new Map<string, number>(), down: true };
        return {
          state,
          handlers: {
            call: async (_p: null, ctx) => {
              state.calls.set(ctx.job.id, (state.calls.get(ctx.job.id) ?? 0) + 1);
              if (state.down) throw new Error('flaky');
              return rig().clock.now();
            },
          },
          queues: { default: { concurrency: 20 } },
          retry: { maxAttempts: 20, backoff: { kind: 'constant', delayMs: 50, jitter: 'none', priorityScale: 0 } },
          resources: { api: { retryBudget: { ratio: 0.2, windowMs: 1_000, minRetries: 1 }, adaptive: false } },
        };
      },
      async (rig, state) => {
        const jobs = await rig.scheduler.submitAll(Array.from({ length: 20 }, () => ({ type: 'call' as const, resource: 'api' })));
        await rig.advance(500);
        const m = (await rig.scheduler.metrics()).resources.api!;
        deepEqual(m.retryBudget, { firstAttempts: 20, retries: 4 }, 'in the first window: 0.2 × 20 retries (more than the floor of 1), the rest deferred');
        await rig.advance(2_500);
        const attempts = [...state.calls.values()].reduce((a, b) => a + b, 0);
        ok(attempts >= 24 && attempts <= 27, `through a 3 s outage, ${attempts} attempts for 20 jobs: one retry a second once the first attempts age out`);
        const deferred = (await rig.store.list({ state: JobState.scheduled })).jobs;
        ok(
          deferred.some((j) => j.history.at(-1)!.cause.message!.includes('retry budget of api spent')),
          'deferred with the reason',
        );
        state.down = false;
        await rig.advance(30_000);
        for (const r of jobs) equal((await rig.store.get(r.job.id))!.state, JobState.succeeded, 'every job completes once retries are allowed again');
      },
    ),
  ];
  return { name: 'resources', cases };
}
