import type { DependencyCycleError } from '../../errors.ts';
import { JobError } from '../../errors.ts';
import { JobState } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok, rejects } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { noop, scenarios } from './scenario.ts';

/**
 * `retry()` of a dead-lettered job inside ordering keys and dependency
 * graphs: the job moves to the end of its key without leaving a stale link
 * behind, dependents it had released wait for its new outcome, and a retry
 * that would put it behind a job waiting on it is refused as a cycle. Each
 * case is a counterexample the model check (test/property) once found.
 */
export function deadLetterRetry(harness: StoreHarness): ConformanceGroup {
  const scenario = scenarios(harness);
  const cases: ConformanceCase[] = [
    scenario<{ flaky: Handler; report: Handler }>(
      'a `continue` dependent released by a failed dependency waits again when that dependency is retried',
      (rig) => {
        let runs = 0;
        return {
          handlers: {
            flaky: async () => {
              if (++runs === 1) throw JobError.nonRetryable('the first run fails');
              await rig().sleep(500);
            },
            report: async (_: null, ctx) => ctx.dependencies.map((d) => d.state),
          },
        };
      },
      async (rig) => {
        const a = await rig.scheduler.submit({ type: 'flaky' });
        await rig.settle();
        const b = await rig.scheduler.submit({ type: 'report', dependsOn: [a.job.id], onDependencyFailure: 'continue', delayMs: 100 });
        await rig.scheduler.retry(a.job.id);
        await rig.advance(1_000);
        const done = (await rig.store.get(b.job.id))!;
        deepEqual(done.result, ['succeeded'], 'it ran with its dependency’s new outcome, not beside it');
        ok(
          done.history.some((t) => t.from === JobState.ready && t.to === JobState.waiting && t.cause.code === 'dependency-retried'),
          'and its history says why it waited again',
        );
      },
    ),

    scenario<{ fail: Handler; slow: Handler }>(
      'a key never runs two jobs at once after a retried job of the key is cancelled',
      (rig) => {
        const running: string[] = [];
        return {
          handlers: {
            fail: async () => {
              throw JobError.nonRetryable('fails at once');
            },
            slow: async (_: null, ctx) => {
              running.push(ctx.job.id);
              await rig().sleep(1_000);
              running.splice(running.indexOf(ctx.job.id), 1);
            },
          },
          queues: { default: { concurrency: 4 } },
        };
      },
      async (rig) => {
        const a = await rig.scheduler.submit({ type: 'fail', key: 'k' });
        await rig.settle();
        const b = await rig.scheduler.submit({ type: 'slow', key: 'k' });
        await rig.settle();
        await rig.scheduler.retry(a.job.id);
        await rig.scheduler.cancel(a.job.id);
        const c = await rig.scheduler.submit({ type: 'slow', key: 'k' });
        equal(c.job.state, JobState.waiting, 'the next job of the key waits for the one running');
        await rig.advance(3_000);
        const [bDone, cDone] = [(await rig.store.get(b.job.id))!, (await rig.store.get(c.job.id))!];
        equal(cDone.state, JobState.succeeded, 'then runs');
        ok(cDone.startedAtMs! >= bDone.finishedAtMs!, 'after it, not beside it');
      },
    ),

    scenario<{ fail: Handler; slow: Handler; quick: Handler }>(
      'retry() refuses to put a job behind a job of its key that depends on it',
      (rig) => ({
        handlers: {
          fail: async () => {
            throw JobError.nonRetryable('fails at once');
          },
          slow: async () => {
            await rig().sleep(1_000);
          },
          quick: noop,
        },
        queues: { default: { concurrency: 4 } },
      }),
      async (rig) => {
        const a = await rig.scheduler.submit({ type: 'fail', key: 'k' });
        const d = await rig.scheduler.submit({ type: 'slow' });
        await rig.settle();
        const k = await rig.scheduler.submit({ type: 'quick', key: 'k', dependsOn: [a.job.id, d.job.id], onDependencyFailure: 'continue' });
        const refused = (await rejects(rig.scheduler.retry(a.job.id), 'dependency-cycle', 'the retry')) as DependencyCycleError;
        deepEqual(refused.cycle, [a.job.id, k.job.id, a.job.id], 'the error names the cycle');
        await rig.advance(60_000);
        equal((await rig.store.get(a.job.id))?.state, JobState.failed, 'the job stays in the dead-letter set');
        equal((await rig.store.get(k.job.id))?.state, JobState.succeeded, 'and its dependent runs once its other dependency ends');
      },
    ),

    scenario<{ flaky: Handler; quick: Handler }>(
      'a retried job never waits for itself when the job after it in its key is cancelled',
      (rig) => {
        let runs = 0;
        return {
          handlers: {
            flaky: async () => {
              await rig().sleep(100);
              if (++runs === 1) throw JobError.nonRetryable('the first run fails');
            },
            quick: noop,
          },
        };
      },
      async (rig) => {
        const a = await rig.scheduler.submit({ type: 'flaky', key: 'k' });
        const b = await rig.scheduler.submit({ type: 'quick', key: 'k', delayMs: 1_000 });
        await rig.advance(100);
        const retried = await rig.scheduler.retry(a.job.id);
        equal(retried.after, b.job.id, 'the retried job waits for the job after it');
        await rig.scheduler.cancel(b.job.id);
        await rig.advance(60_000);
        const job = (await rig.store.get(a.job.id))!;
        equal(job.state, JobState.succeeded, 'and runs once that job is cancelled');
      },
    ),
  ];
  return { name: 'dead-letter retry', cases };
}
