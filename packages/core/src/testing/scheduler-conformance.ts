import { JobError } from '../errors.ts';
import { JobState, Priority, type Json, type JobRecord } from '../job.ts';
import type { Handler, Handlers, SchedulerOptions } from '../options.ts';
import { deepEqual, equal, ok, rejects } from './assert.ts';
import type { ConformanceCase, StoreHarness } from './harness.ts';
import { Rig, START_MS } from './rig.ts';

type RigOptions<H extends Handlers> = Omit<SchedulerOptions<H>, 'store' | 'clock' | 'random'>;

const noop: Handler = async () => null;

function states(job: JobRecord): string[] {
  return job.history.map((t) => t.to);
}

/**
 * Scheduler behaviour over a store: the same assertions for every store and
 * runtime. Time is a fake clock throughout; nothing sleeps for real.
 */
export function schedulerConformance(harness: StoreHarness): ConformanceCase[] {
  /** `setup` builds the scheduler options (handlers may reach the rig) and any state the test shares with them. */
  const scenario = <H extends Handlers, S = undefined>(
    name: string,
    setup: (rig: () => Rig<H>) => RigOptions<H> & { readonly state?: S; readonly autoStart?: boolean },
    fn: (rig: Rig<H>, state: S) => Promise<void>,
  ): ConformanceCase => ({
    name,
    run: async () => {
      let rig: Rig<H> | undefined;
      const { state, autoStart, ...options } = setup(() => rig!);
      rig = await Rig.create<H>(harness, options as RigOptions<H>);
      try {
        if (autoStart !== false) rig.scheduler.start();
        await fn(rig, state as S);
      } finally {
        await rig.close();
      }
    },
  });

  return [
    scenario(
      'runs a job to success and records every transition',
      () => ({ handlers: { greet: async (p: { name: string }) => `hello ${p.name}` } }),
      async (rig) => {
        const seen: string[] = [];
        rig.scheduler.on('*', (e) => seen.push(e.name));
        const { job, deduplicated } = await rig.scheduler.submit({ type: 'greet', payload: { name: 'Ada' } });
        equal(deduplicated, false, 'a new job');
        const done = await rig.scheduler.waitFor(job.id);
        equal(done.state, JobState.succeeded, 'state');
        equal(done.result, 'hello Ada', 'result');
        equal(done.attempt, 1, 'one attempt');
        deepEqual(states(done), ['ready', 'running', 'succeeded'], 'history');
        deepEqual(
          done.history.map((t) => t.cause.code),
          ['submitted', 'claimed', 'completed'],
          'causes',
        );
        deepEqual(await rig.store.get(job.id), done, 'the store has what waitFor returned');
        deepEqual(seen, ['job.ready', 'job.running', 'job.succeeded'], 'events in order');
      },
    ),

    scenario(
      'claims higher priority first and equal priority in submit order',
      () => ({ handlers: { work: async (p: { n: number }) => p.n }, queues: { default: { concurrency: 1 } }, autoStart: false }),
      async (rig) => {
        const order: number[] = [];
        rig.scheduler.on('job.running', (e) => order.push((e.job.payload as { n: number }).n));
        const submitted = rig.scheduler.submitAll([
          { type: 'work', payload: { n: 1 }, priority: Priority.low },
          { type: 'work', payload: { n: 2 }, priority: Priority.critical },
          { type: 'work', payload: { n: 3 }, priority: Priority.normal },
          { type: 'work', payload: { n: 4 }, priority: Priority.critical },
          { type: 'work', payload: { n: 5 }, priority: Priority.background },
          { type: 'work', payload: { n: 6 }, priority: Priority.normal },
        ]);
        rig.scheduler.start();
        const results = await submitted;
        for (const r of results) await rig.scheduler.waitFor(r.job.id);
        deepEqual(order, [2, 4, 3, 6, 1, 5], 'claim order');
      },
    ),

    scenario<{ high: Handler; low: Handler }>(
      'bounds how long later high-priority work can overtake the lowest priority (aging)',
      (rig) => ({
        handlers: {
          high: async () => {
            await rig().sleep(100);
            if (rig().clock.now() < START_MS + 20_000) await rig().scheduler.submit({ type: 'high', priority: Priority.critical });
          },
          low: async () => null,
        },
        queues: { default: { concurrency: 1 } },
        agingStepMs: 1000,
      }),
      async (rig) => {
        const ran: JobRecord[] = [];
        rig.scheduler.on('job.running', (e) => ran.push(e.job));
        await rig.scheduler.submitAll(Array.from({ length: 5 }, () => ({ type: 'high' as const, priority: Priority.critical })));
        await rig.advance(1000);
        const { job: low } = await rig.scheduler.submit({ type: 'low', priority: Priority.background });
        const windowMs = 4 * 1000;
        await rig.advance(30_000);
        const lowRun = ran.findIndex((j) => j.id === low.id);
        ok(lowRun >= 0, 'the lowest priority ran while high-priority work kept arriving');
        const overtakers = ran.slice(0, lowRun).filter((j) => j.type === 'high' && j.readyAtMs! > low.readyAtMs!);
        ok(overtakers.length > 0, 'later high-priority work did overtake it');
        for (const j of overtakers)
          ok(j.readyAtMs! < low.readyAtMs! + windowMs, `job ready at +${j.readyAtMs! - low.readyAtMs!} ms overtook it, beyond the ${windowMs} ms window`);
        ok(
          ran.slice(lowRun + 1).some((j) => j.type === 'high'),
          'high-priority work continued after it',
        );
      },
    ),

    scenario<{ high: Handler; low: Handler }>(
      'without aging, sustained high-priority work starves the lowest priority',
      (rig) => ({
        handlers: {
          high: async () => {
            await rig().sleep(100);
            if (rig().clock.now() < START_MS + 20_000) await rig().scheduler.submit({ type: 'high', priority: Priority.critical });
          },
          low: async () => null,
        },
        queues: { default: { concurrency: 1 } },
        agingStepMs: 1e12,
      }),
      async (rig) => {
        await rig.scheduler.submitAll(Array.from({ length: 5 }, () => ({ type: 'high' as const, priority: Priority.critical })));
        await rig.advance(1000);
        const { job: low } = await rig.scheduler.submit({ type: 'low', priority: Priority.background });
        await rig.advance(18_000);
        equal((await rig.store.get(low.id))?.state, JobState.ready, 'still waiting after 18 s of high-priority load');
        await rig.advance(5_000);
        equal((await rig.store.get(low.id))?.state, JobState.succeeded, 'runs once the load stops');
      },
    ),

    scenario<{ step: Handler }, string[]>(
      'runs jobs with the same key one at a time, in submit order, through retries',
      (rig) => {
        const attempts = new Map<number, number>();
        const log: string[] = [];
        return {
          state: log,
          handlers: {
            step: async (p: { n: number; key: string }) => {
              log.push(`start ${p.key}${p.n}`);
              await rig().sleep(50);
              log.push(`end ${p.key}${p.n}`);
              const a = (attempts.get(p.n) ?? 0) + 1;
              attempts.set(p.n, a);
              if (p.n === 1 && a === 1) throw new Error('first attempt of job 1 fails');
            },
          },
          queues: { default: { concurrency: 4 } },
          retry: { maxAttempts: 3, backoff: { kind: 'constant', delayMs: 200 } },
        };
      },
      async (rig, log) => {
        const results = await rig.scheduler.submitAll([
          { type: 'step', payload: { n: 1, key: 'a' }, key: 'a' },
          { type: 'step', payload: { n: 2, key: 'a' }, key: 'a' },
          { type: 'step', payload: { n: 3, key: 'b' }, key: 'b' },
          { type: 'step', payload: { n: 4, key: 'a' }, key: 'a' },
        ]);
        deepEqual(
          results.map((r) => r.job.state),
          ['ready', 'waiting', 'ready', 'waiting'],
          'followers wait',
        );
        await rig.advance(2_000);
        for (const r of results) equal((await rig.store.get(r.job.id))?.state, JobState.succeeded, `job ${r.job.id} succeeded`);
        const keyA = log.filter((l) => l.endsWith('a1') || l.endsWith('a2') || l.endsWith('a4'));
        deepEqual(
          keyA,
          ['start a1', 'end a1', 'start a1', 'end a1', 'start a2', 'end a2', 'start a4', 'end a4'],
          'key a: one at a time, in order, the retry before the next',
        );
        ok(log.indexOf('start b3') < log.indexOf('end a1'), 'another key runs in parallel');
      },
    ),

    scenario<{ work: Handler }, { peak: number }>(
      'never runs more jobs of a queue at once than its concurrency',
      (rig) => {
        let now = 0;
        const state = { peak: 0 };
        return {
          state,
          handlers: {
            work: async () => {
              now++;
              state.peak = Math.max(state.peak, now);
              await rig().sleep(100);
              now--;
            },
          },
          queues: { default: { concurrency: 2 }, bulk: { concurrency: 1 } },
        };
      },
      async (rig, state) => {
        const jobs = await rig.scheduler.submitAll(Array.from({ length: 7 }, (_, i) => ({ type: 'work' as const, queue: i < 5 ? 'default' : 'bulk' })));
        await rig.advance(1_000);
        for (const r of jobs) equal((await rig.store.get(r.job.id))?.state, JobState.succeeded, 'every job ran');
        equal(state.peak, 3, 'at most 2 + 1 at once');
      },
    ),

    scenario(
      'runs a delayed job at its time, not before',
      () => ({ handlers: { later: noop } }),
      async (rig) => {
        const { job } = await rig.scheduler.submit({ type: 'later', delayMs: 5_000 });
        equal(job.state, JobState.scheduled, 'scheduled');
        equal(job.dueAtMs, START_MS + 5_000, 'due time');
        await rig.advance(4_999);
        equal((await rig.store.get(job.id))?.state, JobState.scheduled, 'not yet');
        await rig.advance(1);
        const done = await rig.scheduler.waitFor(job.id);
        equal(done.startedAtMs, START_MS + 5_000, 'started on time');
        const at = await rig.scheduler.submit({ type: 'later', runAtMs: START_MS + 9_000 });
        await rig.advance(4_000);
        equal((await rig.scheduler.waitFor(at.job.id)).startedAtMs, START_MS + 9_000, 'runAtMs honoured');
      },
    ),

    scenario<{ flaky: Handler; broken: Handler; hopeless: Handler }>(
      'retries transient failures with the configured delay and fails when attempts run out',
      () => {
        let calls = 0;
        return {
          handlers: {
            flaky: async () => {
              calls++;
              if (calls < 3) throw new Error(`flake ${calls}`);
              return calls;
            },
            broken: async () => {
              throw JobError.nonRetryable('bad request', { code: 'bad-request' });
            },
            hopeless: async () => {
              throw new Error('always');
            },
          },
          retry: { maxAttempts: 3, backoff: { kind: 'constant', delayMs: 1_000, jitter: 'none', priorityScale: 0 } },
        };
      },
      async (rig) => {
        const flaky = (await rig.scheduler.submit({ type: 'flaky' })).job;
        await rig.settle();
        const afterFirst = await rig.store.get(flaky.id);
        equal(afterFirst?.state, JobState.scheduled, 'waits for backoff');
        equal(afterFirst?.dueAtMs, START_MS + 1_000, 'backoff delay');
        equal(afterFirst?.error?.message, 'flake 1', 'the failure is kept');
        await rig.advance(2_000);
        const done = await rig.scheduler.waitFor(flaky.id);
        equal(done.state, JobState.succeeded, 'succeeds on the third attempt');
        equal(done.attempt, 3, 'attempts');
        deepEqual(states(done), ['ready', 'running', 'scheduled', 'ready', 'running', 'scheduled', 'ready', 'running', 'succeeded'], 'history');

        const broken = await rig.scheduler.waitFor((await rig.scheduler.submit({ type: 'broken' })).job.id);
        equal(broken.state, JobState.failed, 'a non-retryable error fails at once');
        equal(broken.attempt, 1, 'after one attempt');
        equal(broken.error?.code, 'bad-request', 'the error code survives storage');
        equal(broken.error?.retryable, false, 'marked not retryable');

        const hopeless = (await rig.scheduler.submit({ type: 'hopeless', retry: { maxAttempts: 2, backoff: { delayMs: 10 } } })).job;
        await rig.advance(100);
        const failed = await rig.scheduler.waitFor(hopeless.id);
        equal(failed.state, JobState.failed, 'fails when attempts run out');
        equal(failed.attempt, 2, 'per-job maxAttempts');
        ok(failed.history.at(-1)!.cause.message!.includes('attempts exhausted (2/2)'), `cause says why: ${failed.history.at(-1)!.cause.message}`);
      },
    ),

    scenario<{ hang: Handler }, string[]>(
      'aborts the signal when an attempt times out, then retries',
      () => {
        const reasons: string[] = [];
        return {
          handlers: {
            hang: (_p: null, ctx) =>
              new Promise((_resolve, reject) => {
                ctx.signal.addEventListener('abort', () => {
                  reasons.push((ctx.signal.reason as Error).name);
                  reject(ctx.signal.reason);
                });
              }),
          },
          retry: { maxAttempts: 2, backoff: { kind: 'constant', delayMs: 0 } },
          state: reasons,
        };
      },
      async (rig, reasons) => {
        const { job } = await rig.scheduler.submit({ type: 'hang', timeoutMs: 1_000 });
        await rig.advance(999);
        equal((await rig.store.get(job.id))?.state, JobState.running, 'still running before the timeout');
        await rig.advance(1);
        equal((await rig.store.get(job.id))?.attempt, 2, 'retried after the first timeout');
        await rig.advance(1_000);
        const done = await rig.scheduler.waitFor(job.id);
        equal(done.state, JobState.failed, 'failed after two timeouts');
        equal(done.error?.kind, 'timeout', 'classified as a timeout');
        equal(done.error?.code, 'timeout', 'code');
        deepEqual(reasons, ['TimeoutError', 'TimeoutError'], 'the handler saw each abort');
      },
    ),

    scenario<{ slow: Handler }>(
      'fails a job whose deadline passes, with a clear cause',
      (rig) => ({ handlers: { slow: async () => rig().sleep(10_000) }, retry: { maxAttempts: 5, backoff: { kind: 'constant', delayMs: 0 } } }),
      async (rig) => {
        const { job } = await rig.scheduler.submit({ type: 'slow', deadlineAtMs: START_MS + 3_000 });
        await rig.advance(3_000);
        const done = await rig.scheduler.waitFor(job.id);
        equal(done.state, JobState.failed, 'failed');
        equal(done.attempt, 1, 'no retry after the deadline');
        equal(done.history.at(-1)!.cause.code, 'deadline-exceeded', 'cause');
        const late = await rig.scheduler.submit({ type: 'slow', delayMs: 5_000, deadlineAtMs: START_MS + 6_000 });
        await rig.advance(4_000);
        const expired = await rig.scheduler.waitFor(late.job.id);
        equal(expired.history.at(-1)!.cause.code, 'deadline-exceeded', 'a job that could not start in time');
        equal(expired.attempt, 0, 'never started');
        await rejects(rig.scheduler.submit({ type: 'slow', deadlineAtMs: START_MS }), 'validation', 'a deadline in the past is refused');
      },
    ),

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

    scenario<{ fetch: Handler; sum: Handler; fail: Handler }>(
      'passes dependency results to dependents once all dependencies succeed',
      (rig) => ({
        handlers: {
          fetch: async (p: { n: number }) => {
            await rig().sleep(p.n * 100);
            return p.n * 10;
          },
          sum: async (_p: null, ctx) => ctx.dependencies.reduce((a, d) => a + (d.result as number), 0),
          fail: async () => {
            throw JobError.nonRetryable('nope');
          },
        },
      }),
      async (rig) => {
        const [a, b, total] = await rig.scheduler.submitAll([
          { ref: 'a', type: 'fetch', payload: { n: 1 } },
          { ref: 'b', type: 'fetch', payload: { n: 3 } },
          { type: 'sum', dependsOn: ['a', 'b'] },
        ]);
        equal(total!.job.state, JobState.waiting, 'waits for its dependencies');
        deepEqual(total!.job.dependsOn, [a!.job.id, b!.job.id], 'refs became ids');
        await rig.advance(200);
        equal((await rig.store.get(total!.job.id))?.state, JobState.waiting, 'still waiting for the slower one');
        await rig.advance(200);
        const done = await rig.scheduler.waitFor(total!.job.id);
        equal(done.result, 40, 'saw both results');
        const later = await rig.scheduler.submit({ type: 'sum', dependsOn: [a!.job.id] });
        equal(later.job.state, JobState.ready, 'a dependency already done does not block');
        equal((await rig.scheduler.waitFor(later.job.id)).result, 10, 'and its result is passed');
      },
    ),

    scenario<{ fail: Handler; after: Handler }>(
      'fails, cancels or continues dependents of a failed job by policy, down the graph',
      () => ({
        handlers: {
          fail: async () => {
            throw JobError.nonRetryable('upstream broke');
          },
          after: async (_p: null, ctx) => ctx.dependencies.map((d) => d.state),
        },
      }),
      async (rig) => {
        const results = await rig.scheduler.submitAll([
          { ref: 'root', type: 'fail' },
          { ref: 'failer', type: 'after', dependsOn: ['root'] },
          { ref: 'grandchild', type: 'after', dependsOn: ['failer'] },
          { ref: 'canceller', type: 'after', dependsOn: ['root'], onDependencyFailure: 'cancel' },
          { ref: 'continuer', type: 'after', dependsOn: ['root'], onDependencyFailure: 'continue' },
        ]);
        const [root, failer, grandchild, canceller, continuer] = await Promise.all(results.map((r) => rig.scheduler.waitFor(r.job.id)));
        equal(root!.state, JobState.failed, 'root failed');
        equal(failer!.state, JobState.failed, 'policy fail');
        equal(failer!.history.at(-1)!.cause.code, 'dependency-failed', 'with the cause');
        ok(failer!.history.at(-1)!.cause.message!.includes(root!.id), 'naming the dependency');
        equal(grandchild!.state, JobState.failed, 'the failure propagates down the graph');
        equal(canceller!.state, JobState.cancelled, 'policy cancel');
        equal(continuer!.state, JobState.succeeded, 'policy continue runs anyway');
        deepEqual(continuer!.result, ['failed'], 'and sees the failure');
      },
    ),

    scenario(
      'rejects a dependency cycle naming it, and an unknown dependency, storing nothing',
      () => ({ handlers: { a: noop } }),
      async (rig) => {
        const error = await rejects(
          rig.scheduler.submitAll([
            { ref: 'x', type: 'a', dependsOn: ['z'] },
            { ref: 'y', type: 'a', dependsOn: ['x'] },
            { ref: 'z', type: 'a', dependsOn: ['y'] },
          ]),
          'dependency-cycle',
          'a cycle',
        );
        ok(error.message.includes('x → z → y → x'), `the cycle is named: ${error.message}`);
        await rejects(rig.scheduler.submit({ type: 'a', dependsOn: ['no-such-job'] }), 'validation', 'unknown dependency');
        await rejects(rig.scheduler.submitAll([{ type: 'a' }, { type: 'a', dependsOn: ['nope'] }]), 'validation', 'unknown dependency in a batch');
        equal((await rig.store.list({})).jobs.length, 0, 'nothing stored');
      },
    ),

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

    scenario<{ wait: Handler; next: Handler }, string[]>(
      'cancels waiting, ready and running jobs; a running handler sees the abort',
      () => {
        const aborted: string[] = [];
        return {
          handlers: {
            wait: (_p: null, ctx) =>
              new Promise((_r, reject) =>
                ctx.signal.addEventListener('abort', () => {
                  aborted.push(ctx.job.id);
                  reject(ctx.signal.reason);
                }),
              ),
            next: noop,
          },
          queues: { default: { concurrency: 1 } },
          state: aborted,
        };
      },
      async (rig, aborted) => {
        const [running, ready, child] = await rig.scheduler.submitAll([
          { ref: 'r', type: 'wait' },
          { type: 'wait' },
          { type: 'next', dependsOn: ['r'], onDependencyFailure: 'cancel' },
        ]);
        await rig.settle();
        equal((await rig.store.get(running!.job.id))?.state, JobState.running, 'running');
        const cancelled = await rig.scheduler.cancel(running!.job.id);
        equal(cancelled.state, JobState.cancelled, 'cancelled');
        deepEqual(aborted, [running!.job.id], 'its signal was aborted');
        equal((await rig.store.get(child!.job.id))?.state, JobState.cancelled, 'its dependent was cancelled by policy');
        await rig.settle();
        equal((await rig.store.get(ready!.job.id))?.state, JobState.running, 'the slot went to the next job');
        await rig.scheduler.cancel(ready!.job.id);
        await rejects(rig.scheduler.cancel(ready!.job.id), 'illegal-transition', 'cancelling a finished job');
        await rejects(rig.scheduler.cancel('missing'), 'unknown-job', 'cancelling an unknown job');
        await rig.settle();
        equal((await rig.store.get(running!.job.id))?.state, JobState.cancelled, 'a late rejection changes nothing');
      },
    ),

    scenario<{ fail: Handler }>(
      'retries a failed job from the dead-letter set',
      () => {
        let calls = 0;
        return {
          handlers: {
            fail: async () => {
              calls++;
              if (calls === 1) throw JobError.nonRetryable('first time');
              return calls;
            },
          },
        };
      },
      async (rig) => {
        const failed = await rig.scheduler.waitFor((await rig.scheduler.submit({ type: 'fail' })).job.id);
        equal(failed.state, JobState.failed, 'failed');
        await rig.scheduler.retry(failed.id);
        const done = await rig.scheduler.waitFor(failed.id);
        equal(done.state, JobState.succeeded, 'succeeds on retry');
        ok(
          done.history.some((t) => t.cause.code === 'manual-retry'),
          'recorded',
        );
        await rejects(rig.scheduler.retry(done.id), 'illegal-transition', 'only failed jobs can be retried');
      },
    ),

    scenario(
      'refuses bad input with a typed error naming the field, storing nothing',
      () => ({ handlers: { known: noop }, queues: { default: {}, mail: { concurrency: 2 } } }),
      async (rig) => {
        const s = rig.scheduler as unknown as { submit(input: unknown): Promise<unknown>; submitAll(input: unknown): Promise<unknown> };
        const cases: Array<[unknown, string, string]> = [
          [{ type: 'unknown' }, 'job.type', '"unknown"'],
          [{ type: 'known', delayMs: -5 }, 'job.delayMs', '-5'],
          [{ type: 'known', payload: { when: new Date(0) } }, 'job.payload', 'Date'],
          [{ type: 'known', payload: { f: () => 1 } }, 'job.payload', 'function'],
          [{ type: 'known', payload: { n: Number.NaN } }, 'job.payload', 'NaN'],
          [{ type: 'known', priority: 7 }, 'job.priority', '7'],
          [{ type: 'known', priority: 1.5 }, 'job.priority', '1.5'],
          [{ type: 'known', queue: 'nope' }, 'job.queue', '"nope"'],
          [{ type: 'known', colour: 'red' }, 'job.colour', 'colour'],
          [{ type: 'known', retry: { maxAttempts: 0 } }, 'job.retry.maxAttempts', '0'],
          [{ type: 'known', timeoutMs: 0 }, 'job.timeoutMs', '0'],
          [{ type: 'known', delayMs: 5, runAtMs: 9 }, 'job.delayMs', 'runAtMs'],
          [{ type: 'known', trace: { traceparent: 'nope' } }, 'job.trace', 'traceparent'],
          [{ type: 'known', key: '' }, 'job.key', '""'],
          [null, 'job', 'null'],
        ];
        for (const [input, field, shows] of cases) {
          const error = (await rejects(s.submit(input), 'validation', `input ${JSON.stringify(input)}`)) as Error & { field: string };
          equal(error.field, field, `field for ${JSON.stringify(input)}`);
          ok(error.message.includes(shows), `message shows the value: ${error.message}`);
        }
        const cyclic: Record<string, unknown> = { type: 'known' };
        cyclic.payload = { self: cyclic };
        await rejects(s.submit(cyclic), 'validation', 'circular payload');
        await rejects(s.submitAll([{ type: 'known' }, { type: 'known', priority: -1 }]), 'validation', 'one bad job in a batch');
        await rejects(s.submitAll([]), 'validation', 'an empty batch');
        equal((await rig.store.list({})).jobs.length, 0, 'nothing stored');
        const counts = await rig.store.counts();
        equal(
          Object.values(counts)
            .flat()
            .reduce((a, b) => a + b, 0),
          0,
          'all counts zero',
        );
      },
    ),

    scenario<{ work: Handler; bad: Handler }>(
      'reports depth, latency, retries and outcomes in a metrics snapshot',
      (rig) => ({
        handlers: {
          work: async (_p: null, ctx) => {
            ctx.progress({ done: 1 });
            await rig().sleep(100);
          },
          bad: async () => {
            throw JobError.nonRetryable('no');
          },
        },
        queues: { default: { concurrency: 1 } },
      }),
      async (rig) => {
        const progress: Json[] = [];
        rig.scheduler.on('job.progress', (e) => progress.push(e.progress));
        const jobs = await rig.scheduler.submitAll([
          { type: 'work' },
          { type: 'work', priority: Priority.high },
          { type: 'bad' },
          { type: 'work', delayMs: 60_000 },
        ]);
        await rig.advance(1_000);
        const m = await rig.scheduler.metrics();
        equal(m.depth.succeeded.total, 2, 'succeeded');
        equal(m.depth.failed.total, 1, 'failed');
        deepEqual(m.depth.scheduled.byPriority, [0, 0, 1, 0, 0], 'scheduled by priority');
        equal(m.runLatency.count, 3, 'three attempts ran');
        ok(m.runLatency.p99Ms !== null && m.runLatency.p99Ms >= 98 && m.runLatency.p99Ms <= 100, `run p99 ≈ 100 ms: ${m.runLatency.p99Ms}`);
        ok(m.waitLatency.maxMs !== null && m.waitLatency.maxMs >= 198, `the last waited for two runs: ${m.waitLatency.maxMs}`);
        deepEqual(m.retries, [3], 'every finished job used one attempt');
        deepEqual(m.byType.work, { succeeded: 2, failed: 0, successRatio: 1 }, 'work');
        deepEqual(m.byType.bad, { succeeded: 0, failed: 1, successRatio: 0 }, 'bad');
        deepEqual(progress, [{ done: 1 }, { done: 1 }], 'progress events');
        deepEqual((await rig.store.get(jobs[0]!.job.id))?.progress, { done: 1 }, 'progress is stored');
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
        deepEqual(m.retryBudget, { firstAttempts: 20, retries: 5 }, 'in the first window: 0.2 × 20 + 1 retries, the rest deferred');
        await rig.advance(2_500);
        const attempts = [...state.calls.values()].reduce((a, b) => a + b, 0);
        ok(attempts >= 25 && attempts <= 28, `through a 3 s outage, ${attempts} attempts for 20 jobs: one retry a second once the first attempts age out`);
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

    scenario<{ slow: Handler; http: Handler }, string[]>(
      'applies the timeout policy and classifies HTTP failures',
      (rig) => ({
        state: [],
        handlers: {
          slow: async () => rig().sleep(10_000),
          http: async (p: { status: number; retryAfter?: string }) => {
            throw Object.assign(new Error(`HTTP ${p.status}`), { status: p.status, headers: { 'retry-after': p.retryAfter } });
          },
        },
        retry: { maxAttempts: 3, backoff: { kind: 'constant', delayMs: 10, jitter: 'none', priorityScale: 0 } },
      }),
      async (rig) => {
        const failing = (await rig.scheduler.submit({ type: 'slow', timeoutMs: 100, retry: { onTimeout: 'fail' } })).job;
        const escalating = (
          await rig.scheduler.submit({ type: 'slow', timeoutMs: 100, priority: Priority.low, retry: { onTimeout: 'escalate', maxAttempts: 2 } })
        ).job;
        const notFound = (await rig.scheduler.submit({ type: 'http', payload: { status: 404 } })).job;
        const limited = (await rig.scheduler.submit({ type: 'http', payload: { status: 429, retryAfter: '30' } })).job;
        await rig.advance(150);
        const failed = (await rig.store.get(failing.id))!;
        equal(failed.state, JobState.failed, 'timeout policy fail');
        equal(failed.attempt, 1, 'after one attempt');
        const escalated = (await rig.store.get(escalating.id))!;
        equal(escalated.priority, Priority.normal, 'timeout policy escalate raised the priority');
        ok(
          escalated.history.some((t) => t.cause.message?.includes('escalated to priority 2')),
          'and said so',
        );
        const missing = (await rig.store.get(notFound.id))!;
        equal(missing.state, JobState.failed, 'a 404 fails at once');
        equal(missing.error?.code, 'http-404', 'with its status as the code');
        const waiting = (await rig.store.get(limited.id))!;
        equal(waiting.state, JobState.scheduled, 'a 429 waits');
        const delayMs = waiting.runAtMs! - (START_MS + 150);
        ok(delayMs >= 30_000 && delayMs <= 36_000, `for its Retry-After, spread by up to a fifth at random (waited ${delayMs} ms)`);
        ok(waiting.history.at(-1)?.cause.message?.includes('retry-after 30000 ms + '), 'and said so');
      },
    ),

    scenario<{ long: Handler; urgent: Handler }, string[]>(
      'preempts a preemptible job when critical work waits for a slot, without spending its attempt',
      (rig) => {
        const log: string[] = [];
        return {
          state: log,
          handlers: {
            long: async (_p: null, ctx) => {
              log.push(`long attempt ${ctx.attempt}`);
              await Promise.race([rig().sleep(1_000), new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)))]);
              log.push('long done');
            },
            urgent: async () => {
              log.push('urgent');
            },
          },
          queues: { default: { concurrency: 1 } },
        };
      },
      async (rig, log) => {
        const { job: long } = await rig.scheduler.submit({ type: 'long', preemptible: true, priority: Priority.low });
        await rig.advance(100);
        const { job: urgent } = await rig.scheduler.submit({ type: 'urgent', priority: Priority.critical });
        await rig.advance(2_000);
        deepEqual(log, ['long attempt 1', 'urgent', 'long attempt 1', 'long done'], 'the critical job ran in the preempted slot; the long one ran again');
        equal((await rig.store.get(urgent.id))!.state, JobState.succeeded, 'urgent done');
        const done = (await rig.store.get(long.id))!;
        equal(done.state, JobState.succeeded, 'the preempted job finished');
        equal(done.attempt, 1, 'its preempted attempt was not counted');
        ok(
          done.history.some((t) => t.cause.code === 'preempted'),
          'the preemption is in the audit trail',
        );
        const { job: plain } = await rig.scheduler.submit({ type: 'long', priority: Priority.low });
        await rig.advance(100);
        await rig.scheduler.submit({ type: 'urgent', priority: Priority.critical });
        await rig.advance(100);
        equal((await rig.store.get(plain.id))!.attempt, 1, 'a job not marked preemptible is not preempted');
        equal((await rig.store.get(plain.id))!.state, JobState.running, 'it keeps its slot');
      },
    ),

    scenario<{ work: Handler }, null>(
      'under congestion favours high priority more, sheds background work past its deadline, and relaxes as it drains',
      (rig) => ({
        handlers: { work: async () => rig().sleep(100) },
        queues: { default: { concurrency: 1 } },
        agingStepMs: 1_000,
        congestion: { readyDepth: 5, creditMultiplier: 4 },
      }),
      async (rig) => {
        await rig.scheduler.submitAll(Array.from({ length: 30 }, () => ({ type: 'work' as const, priority: Priority.normal })));
        const { job: background } = await rig.scheduler.submit({ type: 'work', priority: Priority.background, deadlineAtMs: START_MS + 1_000 });
        await rig.advance(10);
        const busy = await rig.scheduler.metrics();
        ok(busy.congestion.level > 0, `congested: level ${busy.congestion.level} at ${busy.congestion.readyDepth} ready`);
        ok(busy.congestion.agingStepMs > 1_000, `the aging step grew: ${busy.congestion.agingStepMs} ms`);
        await rig.advance(1_000);
        const shed = (await rig.store.get(background.id))!;
        equal(shed.state, JobState.failed, 'the background job was shed');
        equal(shed.history.at(-1)!.cause.code, 'shed', 'recorded as shed, not lost');
        await rig.advance(4_000);
        const calm = await rig.scheduler.metrics();
        equal(calm.congestion.level, 0, 'calm again once drained');
        equal(calm.congestion.agingStepMs, 1_000, 'and the step back to normal');
        equal(calm.depth.succeeded.total, 30, 'every normal job ran');
      },
    ),

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
  ];
}
