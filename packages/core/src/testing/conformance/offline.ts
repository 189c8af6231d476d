import { JobState } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { equal } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { START_MS } from '../rig.ts';
import { scenarios } from './scenario.ts';

/**
 * Network jobs and connectivity: a network error parks a job without spending
 * an attempt, until the network is back.
 */
export function offline(harness: StoreHarness): ConformanceGroup {
  const scenario = scenarios(harness);
  const cases: ConformanceCase[] = [
    scenario<{ send: Handler }, { failOnce: Set<number> }>(
      'parks only the job whose request failed when one network error stands alone',
      () => {
        const state = { failOnce: new Set([1]) };
        return {
          state,
          handlers: {
            send: async (p: { n: number }) => {
              if (state.failOnce.delete(p.n)) throw new TypeError('Failed to fetch');
              return p.n;
            },
          },
          offlineRetryMs: 5_000,
        };
      },
      async (rig) => {
        const jobs = await rig.scheduler.submitAll([1, 2, 3].map((n) => ({ type: 'send' as const, payload: { n }, network: true })));
        await rig.settle();
        const [one, two, three] = await Promise.all(jobs.map(async (r) => (await rig.store.get(r.job.id))!));
        equal(one!.state, JobState.scheduled, 'the unlucky one is parked');
        equal(one!.attempt, 0, 'without spending an attempt');
        equal([two!.state, three!.state].join(), 'succeeded,succeeded', 'the others got through');
        const later = await rig.scheduler.submit({ type: 'send', payload: { n: 4 }, network: true });
        equal((await rig.scheduler.waitFor(later.job.id)).startedAtMs, START_MS, 'and new network work is not held back');
        await rig.advance(5_000);
        const done = await rig.scheduler.waitFor(jobs[0]!.job.id);
        equal(done.state, JobState.succeeded, 'the parked one runs after offlineRetryMs');
        equal(done.attempt, 1, 'in one counted attempt');
      },
    ),

    scenario<{ send: Handler; local: Handler }, { down: boolean; calls: number }>(
      'parks network jobs while offline without spending attempts, and releases them when back online',
      () => {
        const state = { down: true, calls: 0 };
        return {
          state,
          handlers: {
            send: async (p: { n: number }) => {
              state.calls++;
              if (state.down) throw new TypeError('Failed to fetch');
              return p.n;
            },
            local: async () => 'done offline',
          },
          retry: { maxAttempts: 2 },
          offlineRetryMs: 5_000,
        };
      },
      async (rig, state) => {
        const jobs = await rig.scheduler.submitAll([1, 2, 3].map((n) => ({ type: 'send' as const, payload: { n }, network: true })));
        await rig.settle();
        for (const r of jobs) {
          const job = (await rig.store.get(r.job.id))!;
          equal(job.state, JobState.scheduled, 'parked');
          equal(job.attempt, 0, 'a network error spends no attempt');
          equal(job.history.at(-1)!.cause.code, 'offline', 'recorded as offline');
        }
        const callsAfterFirstTry = state.calls;
        rig.scheduler.setOnline(false); // the browser says so
        const local = await rig.scheduler.submit({ type: 'local' });
        equal((await rig.scheduler.waitFor(local.job.id)).result, 'done offline', 'work without the network still runs');
        await rig.advance(20_000);
        equal(state.calls, callsAfterFirstTry, 'no call is made while offline');
        equal((await rig.store.get(jobs[0]!.job.id))!.attempt, 0, 'still no attempt spent');
        state.down = false;
        rig.scheduler.setOnline(true);
        await rig.settle();
        for (const r of jobs) {
          const job = await rig.scheduler.waitFor(r.job.id);
          equal(job.state, JobState.succeeded, 'sent once back online');
          equal(job.attempt, 1, 'in one counted attempt, with maxAttempts 2 never at risk');
          equal(job.startedAtMs, START_MS + 20_000, 'at once, not at the next offline retry');
        }
      },
    ),
  ];
  return { name: 'offline', cases };
}
