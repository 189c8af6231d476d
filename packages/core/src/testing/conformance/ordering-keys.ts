import { JobState } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { scenarios } from './scenario.ts';

/** Jobs that share an ordering key run one at a time, in submit order. */
export function orderingKeys(harness: StoreHarness): ConformanceGroup {
  const scenario = scenarios(harness);
  const cases: ConformanceCase[] = [
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
  ];
  return { name: 'ordering keys', cases };
}
