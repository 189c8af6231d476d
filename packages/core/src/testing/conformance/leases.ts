import { JobState } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { scenarios } from './scenario.ts';

/**
 * Leases and liveness: a dead worker's job recovered after its lease, a live
 * handler's lease kept, a silent one reported.
 */
export function leases(harness: StoreHarness): ConformanceGroup {
  const scenario = scenarios(harness);
  const cases: ConformanceCase[] = [
    scenario<{ pay: Handler }, string[]>(
      'recovers a job whose worker died, after its lease, without repeating finished steps',
      () => {
        const effects: string[] = [];
        return {
          handlers: {
            pay: async (p: { order: string }, ctx) => {
              const charge = await ctx.step('charge', () => {
                effects.push(`charge ${p.order}`);
                return { chargeId: `ch_${p.order}` };
              });
              if (ctx.attempt === 1) await new Promise(() => {}); // the worker dies here
              await ctx.step('receipt', () => {
                effects.push(`receipt ${charge.chargeId}`);
                return null;
              });
              return charge;
            },
          },
          leaseMs: 10_000,
          state: effects,
        };
      },
      async (rig, effects) => {
        const { job } = await rig.scheduler.submit({ type: 'pay', payload: { order: 'o1' } });
        await rig.advance(1_000);
        deepEqual(effects, ['charge o1'], 'charged once before the crash');
        await rig.crashAndRestart();
        await rig.advance(8_999);
        equal((await rig.store.get(job.id))?.state, JobState.running, 'held by the dead lease until it expires');
        const stalled: string[] = [];
        rig.scheduler.on('job.stalled', (e) => stalled.push(e.jobId));
        await rig.advance(1);
        const done = await rig.scheduler.waitFor(job.id);
        equal(done.state, JobState.succeeded, 'completed after recovery');
        equal(done.attempt, 2, 'by a second attempt');
        deepEqual(done.result, { chargeId: 'ch_o1' }, 'with the recorded step result');
        deepEqual(effects, ['charge o1', 'receipt ch_o1'], 'each side effect exactly once');
        deepEqual(stalled, [job.id], 'a stalled event');
        ok(
          done.history.some((t) => t.cause.code === 'lease-expired'),
          'the recovery is in the audit trail',
        );
      },
    ),

    scenario<{ poison: Handler }, { runs: number }>(
      'counts the attempts of a job that kills its worker every time, to the dead-letter set',
      () => {
        const state = { runs: 0 };
        return {
          handlers: {
            poison: async () => {
              state.runs++;
              await new Promise(() => {}); // the worker dies here, every time
            },
          },
          leaseMs: 10_000,
          queues: { default: { concurrency: 1 } },
          state,
        };
      },
      async (rig, state) => {
        // One at a time, so that most attempts are claimed from a stored ready row, not in the tick that readied it.
        await rig.scheduler.submitAll(Array.from({ length: 3 }, () => ({ type: 'poison' as const, payload: null, retry: { maxAttempts: 3 } })));
        for (let crash = 0; crash < 12; crash++) {
          await rig.advance(2_000);
          await rig.crashAndRestart();
          await rig.advance(11_000); // the dead attempt's lease lapses
        }
        const failed = await rig.store.list({ state: JobState.failed });
        equal(failed.jobs.length, 3, 'all three in the dead-letter set');
        for (const job of failed.jobs) equal(job.attempt, 3, 'after three attempts, each cut off by a crash');
        equal(state.runs, 9, 'and no run more');
      },
    ),

    scenario<{ long: Handler }>(
      'keeps the lease of a live handler that runs longer than the lease',
      (rig) => ({ handlers: { long: async () => rig().sleep(95_000) }, leaseMs: 10_000 }),
      async (rig) => {
        const { job } = await rig.scheduler.submit({ type: 'long' });
        const stalled: string[] = [];
        rig.scheduler.on('job.stalled', (e) => stalled.push(e.jobId));
        await rig.advance(100_000);
        const done = await rig.scheduler.waitFor(job.id);
        equal(done.state, JobState.succeeded, 'succeeded');
        equal(done.attempt, 1, 'in one attempt');
        deepEqual(stalled, [], 'never stalled');
      },
    ),

    scenario<{ slow: Handler }>(
      'reports a running job that stops heartbeating as silent',
      (rig) => ({
        handlers: {
          slow: async (_p: null, ctx) => {
            ctx.heartbeat();
            await rig().sleep(5_000);
          },
        },
        silentAfterMs: 2_000,
      }),
      async (rig) => {
        const { job } = await rig.scheduler.submit({ type: 'slow' });
        await rig.advance(1_000);
        deepEqual((await rig.scheduler.metrics()).silent, [], 'not yet');
        await rig.advance(1_500);
        deepEqual((await rig.scheduler.metrics()).silent, [job.id], 'silent after 2 s');
      },
    ),

    scenario<{ hang: Handler; after: Handler }>(
      'fails a job whose lease lapsed past its deadline, and runs what waited on it',
      () => ({
        handlers: { hang: () => new Promise(() => {}), after: async (_p: null, ctx) => ctx.dependencies.map((d) => d.state) },
        leaseMs: 1_000,
        queues: { default: { concurrency: 2 } },
      }),
      async (rig) => {
        const [late, next] = await rig.scheduler.submitAll([
          { ref: 'late', type: 'hang', deadlineAtMs: rig.clock.now() + 500 },
          { type: 'after', dependsOn: ['late'], onDependencyFailure: 'continue' },
        ]);
        await rig.advance(10);
        equal((await rig.store.get(late!.job.id))?.state, JobState.running, 'running');
        await rig.crashAndRestart(); // its worker is gone; the deadline passes before the lease lapses
        await rig.advance(1_100);
        const failed = await rig.store.get(late!.job.id);
        equal(failed?.state, JobState.failed, 'failed, not readied to run past its deadline');
        equal(failed?.history.at(-1)?.cause.code, 'deadline-exceeded', 'at its deadline');
        await rig.advance(10);
        equal((await rig.store.get(next!.job.id))?.state, JobState.succeeded, 'what waited on it ran, with no other wake-up');
      },
    ),
  ];
  return { name: 'leases', cases };
}
