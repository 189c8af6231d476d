import { JobError } from '../../errors.ts';
import { JobState } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok, rejects } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { START_MS } from '../rig.ts';
import { scenarios } from './scenario.ts';

/**
 * Durable workflows inside a handler: sleeps and waits for signals that
 * give up the slot, children spawned once and joined, and compensations of
 * a job that fails for good or is cancelled, each across a crash.
 */
export function workflows(harness: StoreHarness): ConformanceGroup {
  const scenario = scenarios(harness);
  const cases: ConformanceCase[] = [
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
  return { name: 'durable workflows', cases };
}
