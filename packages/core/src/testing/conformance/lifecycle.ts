import { JobError } from '../../errors.ts';
import { JobState } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok, rejects } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { START_MS } from '../rig.ts';
import { noop, scenarios, states } from './scenario.ts';

/**
 * A job's life from submit to its end: success with its audit trail, a delayed
 * start, refused input, cancellation, and a manual retry from the dead-letter
 * set.
 */
export function lifecycle(harness: StoreHarness): ConformanceGroup {
  const scenario = scenarios(harness);
  const cases: ConformanceCase[] = [
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

    scenario<{ hang: Handler; work: Handler }>(
      'never announces a state the store did not keep, when one job ends another in the same tick',
      () => ({ handlers: { hang: () => new Promise(() => {}), work: noop }, queues: { default: { concurrency: 1 } } }),
      async (rig) => {
        const deadline = rig.clock.now() + 1_000;
        const [, first, second] = await rig.scheduler.submitAll([
          { ref: 'blocker', type: 'hang' },
          { ref: 'first', type: 'work', dependsOn: ['blocker'], deadlineAtMs: deadline },
          { type: 'work', dependsOn: ['first'], onDependencyFailure: 'cancel', deadlineAtMs: deadline },
        ]);
        const announced = new Map<string, Array<{ to: string; version: number }>>();
        rig.scheduler.on('*', (e) => {
          if (!('to' in e)) return;
          const list = announced.get(e.jobId) ?? [];
          list.push({ to: e.to, version: e.job.version });
          announced.set(e.jobId, list);
        });
        const waited = rig.scheduler.waitFor(second!.job.id);
        await rig.advance(2_000); // both deadlines pass in one tick; the first's failure cancels the second
        const stored = await rig.store.get(second!.job.id);
        const events = announced.get(second!.job.id) ?? [];
        equal(events.length, 1, `one transition announced for the second job: ${JSON.stringify(events)}`);
        equal(events[0]!.to, stored!.state, 'the one the store kept');
        equal(events[0]!.version, stored!.version, 'at the version the store kept');
        equal((await waited).state, stored!.state, 'waitFor resolves with the stored state');
        equal((await rig.store.get(first!.job.id))?.state, JobState.failed, 'the first failed at its deadline');
      },
    ),
  ];
  return { name: 'lifecycle', cases };
}
