import { JobError } from '../../errors.ts';
import { Priority, type Json } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { scenarios } from './scenario.ts';

/**
 * What the scheduler reports about itself: the metrics snapshot and progress
 * events.
 */
export function observability(harness: StoreHarness): ConformanceGroup {
  const scenario = scenarios(harness);
  const cases: ConformanceCase[] = [
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
        deepEqual(m.byType.work, { succeeded: 2, failed: 0, successRatio: 1, attempts: [2], successByAttempt: [1] }, 'work');
        deepEqual(m.byType.bad, { succeeded: 0, failed: 1, successRatio: 0, attempts: [1], successByAttempt: [0] }, 'bad');
        deepEqual(progress, [{ done: 1 }, { done: 1 }], 'progress events');
        deepEqual((await rig.store.get(jobs[0]!.job.id))?.progress, { done: 1 }, 'progress is stored');
      },
    ),
  ];
  return { name: 'metrics and events', cases };
}
