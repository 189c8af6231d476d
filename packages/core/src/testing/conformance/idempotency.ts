import { JobState } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok, rejects } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { scenarios } from './scenario.ts';

/**
 * Doing things once: idempotency keys at submit, and durable steps that
 * survive a crash.
 */
export function idempotency(harness: StoreHarness): ConformanceGroup {
  const scenario = scenarios(harness);
  const cases: ConformanceCase[] = [
    scenario<{ charge: Handler }>(
      'returns the existing job for a repeated idempotency key, and refuses a different payload',
      () => ({ handlers: { charge: async (p: { cents: number }) => ({ charged: p.cents }) }, idempotencyTtlMs: 60_000 }),
      async (rig) => {
        const first = await rig.scheduler.submit({ type: 'charge', payload: { cents: 500 }, idempotencyKey: 'order-7' });
        await rig.scheduler.waitFor(first.job.id);
        const again = await rig.scheduler.submit({ type: 'charge', payload: { cents: 500 }, idempotencyKey: 'order-7' });
        equal(again.deduplicated, true, 'deduplicated');
        equal(again.job.id, first.job.id, 'the same job');
        deepEqual(again.job.result, { charged: 500 }, 'with its result');
        await rejects(
          rig.scheduler.submit({ type: 'charge', payload: { cents: 900 }, idempotencyKey: 'order-7' }),
          'idempotency-conflict',
          'different payload',
        );
        const sameTime = await rig.scheduler.submitAll([
          { type: 'charge', payload: { cents: 1 }, idempotencyKey: 'order-8' },
          { type: 'charge', payload: { cents: 1 }, idempotencyKey: 'order-8' },
        ]);
        equal(sameTime[1]!.job.id, sameTime[0]!.job.id, 'a key repeated within one batch');
        await rig.advance(60_000);
        const expired = await rig.scheduler.submit({ type: 'charge', payload: { cents: 900 }, idempotencyKey: 'order-7' });
        equal(expired.deduplicated, false, 'after the TTL the key is free');
        ok(expired.job.id !== first.job.id, 'a new job');
        equal((await rig.store.list({})).jobs.length, 3, 'three jobs stored');
      },
    ),

    scenario<{ effect: Handler }, Map<number, number>>(
      'finishes every job after a crash mid-run, each side effect once',
      (rig) => {
        const effects = new Map<number, number>();
        return {
          handlers: {
            effect: async (p: { n: number }, ctx) => {
              await ctx.step('effect', () => {
                effects.set(p.n, (effects.get(p.n) ?? 0) + 1);
                return p.n;
              });
              await rig().sleep(100);
            },
          },
          queues: { default: { concurrency: 8 } },
          leaseMs: 5_000,
          state: effects,
        };
      },
      async (rig, effects) => {
        const jobs = await rig.scheduler.submitAll(
          Array.from({ length: 40 }, (_, n) =>
            n % 3 === 0 ? { type: 'effect' as const, payload: { n }, key: 'serial' } : { type: 'effect' as const, payload: { n } },
          ),
        );
        await rig.advance(250);
        await rig.crashAndRestart();
        await rig.advance(20_000);
        for (const r of jobs) equal((await rig.store.get(r.job.id))?.state, JobState.succeeded, `job ${r.job.id} finished`);
        equal(effects.size, 40, 'every effect happened');
        for (const [n, count] of effects) equal(count, 1, `effect ${n} happened once`);
      },
    ),

    scenario<{ pay: Handler }, { effects: number }>(
      'runs no step of an attempt already given up, though its handler ignores the signal',
      (rig) => {
        const state = { effects: 0 };
        return {
          state,
          handlers: {
            pay: async (_p: null, ctx) => {
              await ctx.step('prepare', () => 'ready');
              if (ctx.attempt === 1) await rig().sleep(500); // times out at 100 ms, and ignores ctx.signal
              await ctx.step('effect', () => {
                state.effects++;
                return 'paid';
              });
            },
          },
          retry: { maxAttempts: 3, backoff: { kind: 'constant', delayMs: 0, jitter: 'none' } },
          queues: { default: { concurrency: 2 } },
        };
      },
      async (rig, state) => {
        const { job } = await rig.scheduler.submit({ type: 'pay', timeoutMs: 100 });
        await rig.advance(2_000);
        const done = await rig.store.get(job.id);
        equal(done?.state, JobState.succeeded, 'the retry succeeded');
        equal(done?.attempt, 2, 'on the second attempt');
        equal(state.effects, 1, 'the effect ran once: the timed-out attempt ran no step after it was given up');
        const steps = await rig.store.steps(job.id);
        equal(steps.find((s) => s.name === 'effect')?.attempt, 2, 'written by the attempt that held the job');
      },
    ),
  ];
  return { name: 'idempotency and steps', cases };
}
