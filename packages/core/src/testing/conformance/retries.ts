import { JobError } from '../../errors.ts';
import { JobState, Priority } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok, rejects } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { START_MS } from '../rig.ts';
import { scenarios, states } from './scenario.ts';

/**
 * Failed attempts: retries with backoff, timeouts that abort the handler,
 * deadlines, and how errors and HTTP statuses are classified.
 */
export function retries(harness: StoreHarness): ConformanceGroup {
  const scenario = scenarios(harness);
  const cases: ConformanceCase[] = [
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
  ];
  return { name: 'retries and timeouts', cases };
}
