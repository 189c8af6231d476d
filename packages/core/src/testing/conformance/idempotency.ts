import { JobState } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok, rejects } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { scenarios } from './scenario.ts';

/**
 * Doing things once: idempotency keys at submit, dedupe keys that throttle
 * or debounce, and durable steps that survive a crash.
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

    scenario<{ sync: Handler }, string[]>(
      'throttles: a submit with the dedupe key of a pending job stores nothing and answers with that job, until it starts',
      (rig) => {
        const ran: string[] = [];
        return {
          state: ran,
          handlers: {
            sync: async (p: { n: number }) => {
              ran.push(`sync ${p.n}`);
              await rig().sleep(500);
            },
          },
        };
      },
      async (rig, ran) => {
        const dedupe = { key: 'doc-1', mode: 'throttle' } as const;
        const first = await rig.scheduler.submit({ type: 'sync', payload: { n: 1 }, dedupe, delayMs: 1_000 });
        const events: string[] = [];
        rig.scheduler.on('job.deduplicated', (e) => events.push(`${e.jobId} ${e.dedupeKey}`));
        const second = await rig.scheduler.submit({ type: 'sync', payload: { n: 2 }, dedupe, delayMs: 1_000 });
        ok(second.deduplicated && second.job.id === first.job.id, 'the pending job answers');
        deepEqual(events, [`${first.job.id} doc-1`], 'announced as deduplicated, with the key');
        const [third, fourth] = await rig.scheduler.submitAll([
          { type: 'sync', payload: { n: 3 }, dedupe },
          { type: 'sync', payload: { n: 4 }, dedupe: { key: 'doc-2', mode: 'throttle' } },
        ]);
        equal(third!.job.id, first.job.id, 'in a batch too');
        equal(fourth!.deduplicated, false, 'another key is its own');
        await rig.advance(1_200);
        equal((await rig.store.get(first.job.id))!.state, JobState.running, 'the throttled job runs');
        const fifth = await rig.scheduler.submit({ type: 'sync', payload: { n: 5 }, dedupe, delayMs: 1_000 });
        equal(fifth.deduplicated, false, 'once it has started, the key takes a new job');
        await rig.crashAndRestart();
        const sixth = await rig.scheduler.submit({ type: 'sync', payload: { n: 6 }, dedupe });
        equal(sixth.job.id, fifth.job.id, 'the key holds across a restart');
        await rig.advance(5 * 60_000);
        equal((await rig.store.list({ state: JobState.succeeded })).jobs.length, 3, 'three jobs ran in all');
        ok(!ran.includes('sync 2') && !ran.includes('sync 3') && !ran.includes('sync 6'), `the throttled submits never ran: ${ran.join(', ')}`);
      },
    ),

    scenario<{ save: Handler; after: Handler }, string[]>(
      'debounces: a submit with the dedupe key of a pending job replaces it, and the last one runs once',
      (rig) => {
        const ran: string[] = [];
        return {
          state: ran,
          handlers: {
            save: async (p: { draft: string }) => {
              ran.push(p.draft);
              await rig().sleep(100);
              return p.draft;
            },
            after: async () => ran.push('after'),
          },
        };
      },
      async (rig, ran) => {
        const dedupe = { key: 'doc-9', mode: 'debounce' } as const;
        const a = await rig.scheduler.submit({ type: 'save', payload: { draft: 'a' }, dedupe, delayMs: 1_000, key: 'doc-9' });
        const waiter = await rig.scheduler.submit({ type: 'after', dependsOn: [a.job.id], onDependencyFailure: 'continue' });
        await rig.advance(600);
        const b = await rig.scheduler.submit({ type: 'save', payload: { draft: 'ab' }, dedupe, delayMs: 1_000, key: 'doc-9' });
        await rig.advance(600);
        const c = await rig.scheduler.submit({ type: 'save', payload: { draft: 'abc' }, dedupe, delayMs: 1_000, key: 'doc-9' });
        for (const replaced of [a, b]) {
          const job = (await rig.store.get(replaced.job.id))!;
          equal(job.state, JobState.cancelled, 'a replaced job is cancelled');
          equal(job.history.at(-1)!.cause.code, 'debounced', 'cause debounced');
        }
        ok((await rig.store.get(a.job.id))!.history.at(-1)!.cause.message!.includes(b.job.id), 'naming the job that replaced it');
        await rig.advance(900);
        deepEqual(ran, ['after'], 'nothing saved before the last submit is 1 s old; a dependent of a replaced job went on');
        await rig.advance(500);
        deepEqual(ran, ['after', 'abc'], 'the last draft saved, once');
        equal((await rig.store.get(c.job.id))!.state, JobState.succeeded, 'the last one succeeded');
        equal((await rig.store.get(waiter.job.id))!.state, JobState.succeeded, 'its dependent, told the dependency was cancelled, ran');
        const running = await rig.scheduler.submit({ type: 'save', payload: { draft: 'x' }, dedupe });
        await rig.advance(50);
        equal((await rig.store.get(running.job.id))!.state, JobState.running, 'started');
        const next = await rig.scheduler.submit({ type: 'save', payload: { draft: 'xy' }, dedupe, delayMs: 10 });
        await rig.advance(500);
        equal((await rig.store.get(running.job.id))!.state, JobState.succeeded, 'a job that has started is not replaced');
        equal((await rig.store.get(next.job.id))!.state, JobState.succeeded, 'the next submit made a job of its own');
        await rejects(
          rig.scheduler.submit({ type: 'save', payload: { draft: 'z' }, dedupe: { key: 'doc-9', mode: 'squash' as 'debounce' } }),
          'validation',
          'an unknown mode is refused',
        );
      },
    ),
  ];
  return { name: 'idempotency and steps', cases };
}
