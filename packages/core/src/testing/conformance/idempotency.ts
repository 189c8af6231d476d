import { JobError } from '../../errors.ts';
import { JobState } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok, rejects } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { START_MS } from '../rig.ts';
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

    scenario<{ onboard: Handler; other: Handler }, { effects: string[] }>(
      'sleeps durably: gives up its slot, runs on at the time, across a crash, without repeating its steps or spending attempts',
      (rig) => {
        const state = { effects: [] as string[] };
        return {
          state,
          queues: { default: { concurrency: 1 } },
          handlers: {
            onboard: async (_p: null, ctx) => {
              await ctx.step('welcome', () => state.effects.push(`welcome at ${rig().clock.now() - START_MS}`));
              await ctx.sleep(2_000);
              await ctx.step('tips', () => state.effects.push(`tips at ${rig().clock.now() - START_MS}`));
              await ctx.sleepUntil(START_MS + 10_000);
              return ctx.step('survey', () => {
                state.effects.push(`survey at ${rig().clock.now() - START_MS}`);
                return 'done';
              });
            },
            other: async () => void state.effects.push(`other at ${rig().clock.now() - START_MS}`),
          },
        };
      },
      async (rig, state) => {
        const { job } = await rig.scheduler.submit({ type: 'onboard', retry: { maxAttempts: 1 } });
        await rig.advance(10);
        const asleep = (await rig.store.get(job.id))!;
        equal(asleep.state, JobState.scheduled, 'asleep: scheduled, not running');
        equal(asleep.runAtMs, START_MS + 2_000, 'until its wake time');
        equal(asleep.history.at(-1)!.cause.code, 'sleeping', 'the cause says so');
        equal(asleep.attempt, 0, 'the attempt that went to sleep is not counted');
        await rig.scheduler.submit({ type: 'other' });
        await rig.advance(100);
        deepEqual(state.effects, ['welcome at 0', 'other at 10'], 'its one slot went to other work meanwhile');
        await rig.advance(2_000);
        deepEqual(state.effects.slice(2), ['tips at 2000'], 'woke at its time; its first step did not run again');
        await rig.crashAndRestart(); // asleep until +10 s when the scheduler goes
        await rig.advance(8_000);
        deepEqual(state.effects.slice(3), ['survey at 10000'], 'the second sleep held across the crash');
        const done = (await rig.store.get(job.id))!;
        equal(done.state, JobState.succeeded, 'finished');
        equal(done.result, 'done', 'with its result');
        equal(done.attempt, 1, 'on one counted attempt, though it ran three times (maxAttempts 1)');
        equal(done.history.filter((t) => t.cause.code === 'sleeping').length, 2, 'two sleeps in its history');
      },
    ),

    scenario<{ nap: Handler }>(
      'fails a job whose sleep would end after its deadline, and refuses a bad duration',
      () => ({
        handlers: {
          nap: async (p: { ms: number }, ctx) => {
            await ctx.sleep(p.ms);
            return 'woke';
          },
        },
      }),
      async (rig) => {
        const late = await rig.scheduler.submit({ type: 'nap', payload: { ms: 5_000 }, deadlineAtMs: START_MS + 1_000 });
        const bad = await rig.scheduler.submit({ type: 'nap', payload: { ms: -1 }, retry: { maxAttempts: 1 } });
        await rig.advance(100);
        const failed = (await rig.store.get(late.job.id))!;
        equal(failed.state, JobState.failed, 'failed at once, not after sleeping in vain');
        equal(failed.history.at(-1)!.cause.code, 'deadline-exceeded', 'cause deadline-exceeded');
        const refused = (await rig.store.get(bad.job.id))!;
        equal(refused.state, JobState.failed, 'a negative duration fails the attempt');
        ok(refused.error!.message.includes('durationMs'), `naming the argument: ${refused.error!.message}`);
      },
    ),

    scenario<{ review: Handler; other: Handler }, { effects: string[] }>(
      'waits for a signal durably: no slot meanwhile, wakes on it with its payload, across a crash; one sent early is kept',
      (rig) => {
        const state = { effects: [] as string[] };
        return {
          state,
          queues: { default: { concurrency: 1 } },
          handlers: {
            review: async (_p: null, ctx) => {
              await ctx.step('ask', () => state.effects.push(`asked at ${rig().clock.now() - START_MS}`));
              const verdict = await ctx.waitForSignal<{ ok: boolean }>('verdict', { timeoutMs: 60_000 });
              const note = await ctx.waitForSignal<string>('note');
              return ctx.step('publish', () => {
                state.effects.push(`published at ${rig().clock.now() - START_MS}`);
                return { ok: verdict.ok, note };
              });
            },
            other: async () => state.effects.push(`other at ${rig().clock.now() - START_MS}`),
          },
        };
      },
      async (rig, state) => {
        const { job } = await rig.scheduler.submit({ type: 'review', retry: { maxAttempts: 1 } });
        await rig.advance(10);
        const waiting = (await rig.store.get(job.id))!;
        equal(waiting.state, JobState.scheduled, 'waiting: scheduled, not running');
        equal(waiting.history.at(-1)!.cause.code, 'waiting-for-signal', 'the cause says so');
        equal(waiting.runAtMs, START_MS + 60_000, 'until its timeout');
        await rig.scheduler.submit({ type: 'other' });
        await rig.advance(100);
        deepEqual(state.effects, ['asked at 0', 'other at 10'], 'its slot went to other work');
        await rig.scheduler.signal(job.id, 'note', 'looks good'); // before its wait: kept
        await rig.advance(10); // it wakes, finds no verdict yet, and waits again
        await rig.crashAndRestart();
        await rig.advance(1_000);
        equal((await rig.store.get(job.id))!.state, JobState.scheduled, 'a signal it does not wait for yet leaves it waiting');
        const signalled = await rig.scheduler.signal(job.id, 'verdict', { ok: true });
        equal(signalled.id, job.id, 'signal() answers with the job');
        await rig.advance(100);
        deepEqual(state.effects.slice(2), ['published at 1120'], 'woke on the signal, took the kept one at once, did not ask again');
        const done = (await rig.store.get(job.id))!;
        equal(done.state, JobState.succeeded, 'finished');
        deepEqual(done.result, { ok: true, note: 'looks good' }, 'with both payloads');
        equal(done.attempt, 1, 'on one counted attempt (maxAttempts 1)');
        ok(
          done.history.some((t) => t.cause.code === 'signalled'),
          'the signal is in its history',
        );
        await rejects(rig.scheduler.signal(job.id, 'verdict', { ok: false }), 'illegal-transition', 'a finished job takes no signal');
        await rejects(rig.scheduler.signal('nope', 'verdict'), 'unknown-job', 'nor an unknown one');
        await rejects(rig.scheduler.signal(job.id, ''), 'validation', 'a signal needs a name');
      },
    ),

    scenario<{ review: Handler }>(
      'fails a wait for a signal at its timeout, as a timeout',
      () => ({
        handlers: {
          review: async (_p: null, ctx) => ctx.waitForSignal('verdict', { timeoutMs: 5_000 }),
        },
        retry: { maxAttempts: 1 },
      }),
      async (rig) => {
        const { job } = await rig.scheduler.submit({ type: 'review' });
        await rig.advance(4_000);
        equal((await rig.store.get(job.id))!.state, JobState.scheduled, 'still waiting before the timeout');
        await rig.advance(2_000);
        const failed = (await rig.store.get(job.id))!;
        equal(failed.state, JobState.failed, 'failed at the timeout');
        equal(failed.error!.kind, 'timeout', 'classified as a timeout');
        ok(failed.error!.message.includes('verdict'), `naming the signal: ${failed.error!.message}`);
      },
    ),

    scenario<{ parent: Handler; child: Handler }, { spawned: number; childRuns: number }>(
      'spawns children once and joins them durably: no slot while waiting, across a crash after spawning',
      (rig) => {
        const state = { spawned: 0, childRuns: 0 };
        return {
          state,
          queues: { default: { concurrency: 1 } },
          handlers: {
            parent: async (_p: null, ctx) => {
              const kids = await ctx
                .step('plan', () => 3)
                .then((n) => Array.from({ length: n }, (_, i) => ({ type: 'child', payload: { n: i, fail: i === 2 } })));
              const ids = await ctx.spawn(kids);
              state.spawned++;
              const results = await ctx.join(ids);
              return results.map((r) => `${r.state}:${JSON.stringify(r.result)}`);
            },
            child: async (p: { n: number; fail: boolean }) => {
              state.childRuns++;
              await rig().sleep(500);
              if (p.fail) throw JobError.nonRetryable(`child ${p.n} failed`);
              return p.n * 10;
            },
          },
        };
      },
      async (rig, state) => {
        const { job } = await rig.scheduler.submit({ type: 'parent', retry: { maxAttempts: 1 } });
        await rig.advance(10);
        const waiting = (await rig.store.get(job.id))!;
        equal(waiting.state, JobState.waiting, 'joining: waiting, its one slot given to its children');
        equal(waiting.history.at(-1)!.cause.code, 'joining', 'the cause says so');
        equal(waiting.dependsOn.length, 3, 'on its three children');
        await rig.crashAndRestart(); // after spawning, before the children finish
        await rig.advance(60_000); // the child running at the crash runs again once its lease lapses
        const done = (await rig.store.get(job.id))!;
        equal(done.state, JobState.succeeded, 'the parent finished after its children');
        deepEqual(done.result, ['succeeded:0', 'succeeded:10', 'failed:null'], "each child's outcome, a failed one included");
        equal(done.attempt, 1, 'on one counted attempt (maxAttempts 1)');
        const children = (await rig.store.list({ type: 'child', limit: 100 })).jobs;
        equal(children.length, 3, 'three children, though the parent ran twice');
        equal(state.childRuns, 4, 'each ran once, and the one running at the crash once more');
      },
    ),

    scenario<{ trip: Handler; refund: Handler; release: Handler }, { log: string[]; refundFails: number }>(
      'compensates the completed steps of a job that fails for good, last first, each once, across a crash',
      (rig) => {
        const state = { log: [] as string[], refundFails: 1 };
        return {
          state,
          handlers: {
            trip: async (p: { fail: boolean }, ctx) => {
              const seat = await ctx.step('reserve', () => 'seat-12', { compensate: { type: 'release' } });
              const charge = await ctx.step('charge', () => 'ch_1', {
                compensate: { type: 'refund', retry: { maxAttempts: 3, backoff: { kind: 'constant', delayMs: 100 } } },
              });
              await ctx.step('email', () => 'sent'); // nothing to undo
              if (p.fail) throw JobError.nonRetryable('the airline said no');
              return [seat, charge];
            },
            refund: async (p: { jobId: string; step: string; result: string }) => {
              await rig().sleep(50);
              if (state.refundFails-- > 0) throw new Error('the bank is down');
              state.log.push(`refund ${p.result} of ${p.step}`);
            },
            release: async (p: { jobId: string; step: string; result: string }) => {
              state.log.push(`release ${p.result} of ${p.step}`);
            },
          },
        };
      },
      async (rig, state) => {
        const ok = await rig.scheduler.submit({ type: 'trip', payload: { fail: false } });
        await rig.advance(100);
        equal((await rig.store.get(ok.job.id))!.state, JobState.succeeded, 'a job that succeeds');
        equal((await rig.store.list({ type: 'refund' })).jobs.length, 0, 'is not compensated');
        const { job } = await rig.scheduler.submit({ type: 'trip', payload: { fail: true } });
        await rig.advance(60); // failed; the refund's first attempt is running
        equal((await rig.store.get(job.id))!.state, JobState.failed, 'failed for good');
        const made = (await rig.store.list({ limit: 100 })).jobs.filter((j) => j.tags.includes(`compensates:${job.id}`));
        deepEqual(
          made.map((j) => j.type),
          ['refund', 'release'],
          'a compensation job per compensated step, the last completed first, submitted with the failure',
        );
        const failedAt = (await rig.store.get(job.id))!.history.at(-1)!;
        equal(
          made.every((j) => failedAt.cause.message!.includes(j.id)),
          true,
          `its failure in its history names its compensations: ${failedAt.cause.message}`,
        );
        await rig.crashAndRestart(); // in the middle of compensating
        await rig.advance(60_000);
        deepEqual(state.log, ['refund ch_1 of charge', 'release seat-12 of reserve'], 'each ran once, in reverse order, the refund after its retry');
        for (const j of made) equal((await rig.store.get(j.id))!.state, JobState.succeeded, `${j.type} succeeded`);
        equal((await rig.store.list({ limit: 100 })).jobs.filter((j) => j.tags.includes(`compensates:${job.id}`)).length, 2, 'no second set');
      },
    ),

    scenario<{ book: Handler; release: Handler; odd: Handler }, string[]>(
      'compensates a cancelled job too, and refuses a compensation with no handler',
      () => {
        const log: string[] = [];
        return {
          state: log,
          handlers: {
            book: async (_p: null, ctx) => {
              await ctx.step('reserve', () => 'seat-7', { compensate: { type: 'release' } });
              await ctx.sleep(10_000); // cancelled while it waits
              return 'booked';
            },
            release: async (p: { result: string }) => void log.push(`release ${p.result}`),
            odd: async (_p: null, ctx) => ctx.step('x', () => 1, { compensate: { type: 'nope' } }),
          },
        };
      },
      async (rig, log) => {
        const { job } = await rig.scheduler.submit({ type: 'book' });
        await rig.advance(100);
        await rig.scheduler.cancel(job.id);
        await rig.advance(100);
        deepEqual(log, ['release seat-7'], 'its completed step undone');
        const odd = await rig.scheduler.submit({ type: 'odd', retry: { maxAttempts: 1 } });
        await rig.advance(100);
        const failed = (await rig.store.get(odd.job.id))!;
        equal(failed.state, JobState.failed, 'a step whose compensation has no handler fails its attempt');
        ok(failed.error!.message.includes('compensate.type'), `naming the field: ${failed.error!.message}`);
      },
    ),
  ];
  return { name: 'idempotency and steps', cases };
}
