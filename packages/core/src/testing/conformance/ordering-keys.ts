import { JobError } from '../../errors.ts';
import { type JobRecord, JobState } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok } from '../assert.ts';
import type { Rig } from '../rig.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { scenarios } from './scenario.ts';

/** Records when each keyed job ran, to check that a key never has two jobs running at once. */
function overlaps(runs: ReadonlyArray<{ id: string; key: string; from: number; to: number }>): string[] {
  const out: string[] = [];
  for (const a of runs)
    for (const b of runs) if (a.id < b.id && a.key === b.key && a.from < b.to && b.from < a.to) out.push(`${a.id} and ${b.id} (key ${a.key})`);
  return out;
}

/** A handler that takes `ms` of fake time and records its run. */
function timed(rig: () => Rig<never>, runs: Array<{ id: string; key: string; from: number; to: number }>): Handler {
  return async (p: { ms: number }, ctx) => {
    const from = rig().clock.now();
    await rig().sleep(p.ms);
    if (ctx.signal.aborted) return; // given up (a crash): its job runs again, and that run counts
    runs.push({ id: ctx.job.id, key: ctx.job.key ?? '', from, to: rig().clock.now() });
  };
}

/**
 * Jobs that share an ordering key run one at a time, in the order they
 * were admitted. A job that ends without running (cancelled, failed on its
 * deadline or a dependency) leaves the chain: the next waits for the one
 * before it. A job sent back from the dead-letter set rejoins its key at
 * the end, after whatever the key holds now.
 */
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

    scenario<{ work: Handler }, Array<{ id: string; key: string; from: number; to: number }>>(
      'keeps one chain when a keyed job depends on one submitted after it in the same batch',
      (rig) => {
        const runs: Array<{ id: string; key: string; from: number; to: number }> = [];
        return { state: runs, handlers: { work: timed(rig as never, runs) }, queues: { default: { concurrency: 4 } } };
      },
      async (rig, runs) => {
        const [a, b] = await rig.scheduler.submitAll([
          { type: 'work', payload: { ms: 100 }, key: 'k', dependsOn: ['b'] },
          { ref: 'b', type: 'work', payload: { ms: 100 }, key: 'k' },
        ]);
        const { job: c } = await rig.scheduler.submit({ type: 'work', payload: { ms: 100 }, key: 'k' });
        await rig.advance(1_000);
        for (const job of [a!.job, b!.job, c]) equal((await rig.store.get(job.id))?.state, JobState.succeeded, `${job.id} succeeded`);
        deepEqual(overlaps(runs), [], 'no two jobs of key k ran at once');
        deepEqual(
          runs.map((r) => r.id),
          [b!.job.id, a!.job.id, c.id],
          'the dependency first, then its dependent, then the later job',
        );
      },
    ),

    scenario<{ work: Handler }, Array<{ id: string; key: string; from: number; to: number }>>(
      'keeps one chain across restarts in the same millisecond',
      (rig) => {
        const runs: Array<{ id: string; key: string; from: number; to: number }> = [];
        return { state: runs, handlers: { work: timed(rig as never, runs) }, queues: { default: { concurrency: 4 } }, leaseMs: 1_000 };
      },
      async (rig, runs) => {
        // Each restart is a new scheduler with a new id generator, at the same instant.
        const ids: string[] = [];
        for (let i = 0; i < 6; i++) {
          ids.push((await rig.scheduler.submit({ type: 'work', payload: { ms: 100 }, key: 'k' })).job.id);
          await rig.crashAndRestart();
        }
        ids.push((await rig.scheduler.submit({ type: 'work', payload: { ms: 100 }, key: 'k' })).job.id);
        await rig.advance(20_000); // the first job's lease (cut by the first crash) lapses, and it runs again
        for (const id of ids) equal((await rig.store.get(id))?.state, JobState.succeeded, `${id} succeeded`);
        deepEqual(overlaps(runs), [], 'no two jobs of key k ran at once');
        deepEqual(
          runs.map((r) => r.id),
          ids,
          'in submit order',
        );
      },
    ),

    scenario<{ work: Handler; fail: Handler }, Array<{ id: string; key: string; from: number; to: number }>>(
      'keeps the chain when a job in the middle is cancelled or fails on its deadline or a dependency',
      (rig) => {
        const runs: Array<{ id: string; key: string; from: number; to: number }> = [];
        return {
          state: runs,
          handlers: {
            work: timed(rig as never, runs),
            fail: async () => {
              throw JobError.nonRetryable('nope');
            },
          },
          queues: { default: { concurrency: 8 } },
        };
      },
      async (rig, runs) => {
        const now = rig.clock.now();
        const [head, cancelled, later1, late, later2, doomed, later3] = await rig.scheduler.submitAll([
          { type: 'work', payload: { ms: 5_000 }, key: 'k' },
          { type: 'work', payload: { ms: 100 }, key: 'k' },
          { type: 'work', payload: { ms: 100 }, key: 'k' },
          { type: 'work', payload: { ms: 100 }, key: 'k', deadlineAtMs: now + 1_000 },
          { type: 'work', payload: { ms: 100 }, key: 'k' },
          { type: 'work', payload: { ms: 100 }, key: 'k', dependsOn: ['broken'] },
          { type: 'work', payload: { ms: 100 }, key: 'k' },
          { ref: 'broken', type: 'fail' },
        ]);
        await rig.advance(10);
        await rig.scheduler.cancel(cancelled!.job.id);
        await rig.advance(2_000); // the deadline of `late` has passed, `broken` has failed; `head` still runs
        equal((await rig.store.get(late!.job.id))?.state, JobState.failed, 'the late job failed at its deadline');
        equal((await rig.store.get(doomed!.job.id))?.state, JobState.failed, 'the doomed job failed with its dependency');
        for (const job of [later1!.job, later2!.job, later3!.job]) {
          equal((await rig.store.get(job.id))?.state, JobState.waiting, `${job.id} still waits for the head of its key`);
        }
        await rig.advance(10_000);
        for (const job of [head!.job, later1!.job, later2!.job, later3!.job])
          equal((await rig.store.get(job.id))?.state, JobState.succeeded, `${job.id} succeeded`);
        deepEqual(overlaps(runs), [], 'no two jobs of key k ran at once');
        deepEqual(
          runs.map((r) => r.id),
          [head!.job.id, later1!.job.id, later2!.job.id, later3!.job.id],
          'the rest in order',
        );
      },
    ),

    scenario<{ work: Handler; once: Handler }, Array<{ id: string; key: string; from: number; to: number }>>(
      'sends a retried keyed job to the end of its key, after the jobs that key holds now',
      (rig) => {
        const runs: Array<{ id: string; key: string; from: number; to: number }> = [];
        let failed = false;
        return {
          state: runs,
          handlers: {
            work: timed(rig as never, runs),
            once: async (_p: null, ctx) => {
              if (!failed) {
                failed = true;
                throw JobError.nonRetryable('first time fails');
              }
              const from = rig().clock.now();
              await rig().sleep(100);
              runs.push({ id: ctx.job.id, key: 'k', from, to: rig().clock.now() });
            },
          },
          queues: { default: { concurrency: 4 } },
        };
      },
      async (rig, runs) => {
        const { job: first } = await rig.scheduler.submit({ type: 'once', key: 'k' });
        await rig.advance(10);
        equal((await rig.store.get(first.id))?.state, JobState.failed, 'dead-lettered');
        const { job: next } = await rig.scheduler.submit({ type: 'work', payload: { ms: 1_000 }, key: 'k' });
        await rig.advance(10); // `next` runs now
        const retried: JobRecord = await rig.scheduler.retry(first.id);
        equal(retried.state, JobState.waiting, 'the retried job waits for the job its key runs now');
        await rig.advance(5_000);
        equal((await rig.store.get(first.id))?.state, JobState.succeeded, 'then runs');
        deepEqual(overlaps(runs), [], 'never beside the later job');
        deepEqual(
          runs.map((r) => r.id),
          [next.id, first.id],
          'after it',
        );
      },
    ),
  ];
  return { name: 'ordering keys', cases };
}
