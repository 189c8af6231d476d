import { dedupeRecordKey } from '../../dedupe.ts';
import { isBatonError, JobError, type QueueFullError } from '../../errors.ts';
import { JobState } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { noop, scenarios } from './scenario.ts';

const MINUTE = 60_000;

/**
 * Bounded storage: finished jobs deleted once past their state's retention,
 * with their steps, and their idempotency keys once expired; unfinished
 * jobs never; a backlog swept a batch per tick. And backpressure: at most
 * so many unfinished jobs, a submit past it refused whole.
 */
export function boundedStorage(harness: StoreHarness): ConformanceGroup {
  const scenario = scenarios(harness);
  const cases: ConformanceCase[] = [
    scenario<{ ok: Handler }>(
      'sweeps while idle: the last jobs to finish are deleted once past their retention, with no other work to wake it',
      () => ({ handlers: { ok: noop }, retention: { succeededMs: MINUTE, everyMs: 1_000 } }),
      async (rig) => {
        const submitted = await rig.scheduler.submitAll([{ type: 'ok' }, { type: 'ok', idempotencyKey: 'k', idempotencyTtlMs: 3 * MINUTE }]);
        await rig.settle();
        const states = async () => Promise.all(submitted.map(async (r) => (await rig.store.get(r.job.id))?.state ?? 'deleted'));
        deepEqual(await states(), [JobState.succeeded, JobState.succeeded], 'finished, kept for now');
        await rig.advance(MINUTE + 2_000);
        deepEqual(await states(), ['deleted', JobState.succeeded], 'the first gone a minute after it finished; the second held by its key');
        await rig.advance(2 * MINUTE);
        deepEqual(await states(), ['deleted', 'deleted'], 'the second once its key expired');
      },
    ),

    scenario<{ ok: Handler; stepped: Handler; fail: Handler; slow: Handler }>(
      'deletes finished jobs past their retention, with their steps, and keeps the dead-letter set longer',
      (rig) => ({
        handlers: {
          ok: noop,
          stepped: async (_: null, ctx) => ctx.step('one', () => 1),
          fail: async () => {
            throw JobError.nonRetryable('no');
          },
          slow: async () => {
            await rig().sleep(60 * MINUTE);
          },
        },
        retention: { succeededMs: MINUTE, cancelledMs: MINUTE, failedMs: 10 * MINUTE, everyMs: 1_000 },
        queues: { default: { concurrency: 4 } },
      }),
      async (rig) => {
        const [ok1, stepped, failed, slow] = await rig.scheduler.submitAll([{ type: 'ok' }, { type: 'stepped' }, { type: 'fail' }, { type: 'slow' }]);
        const waiting = await rig.scheduler.submit({ type: 'ok', dependsOn: [slow!.job.id] });
        const cancelled = await rig.scheduler.submit({ type: 'ok', delayMs: 5 * MINUTE });
        await rig.settle();
        await rig.scheduler.cancel(cancelled.job.id);
        deepEqual(
          (await rig.scheduler.steps(stepped!.job.id)).map((s) => s.name),
          ['one'],
          'a step recorded',
        );
        await rig.advance(2 * MINUTE);
        await rig.scheduler.submit({ type: 'ok' }); // any activity: a tick that sweeps
        await rig.settle();
        const ids = [ok1, stepped, failed, slow, waiting, cancelled].map((r) => r!.job.id);
        const states = async () => Promise.all(ids.map(async (id) => (await rig.store.get(id))?.state ?? 'deleted'));
        deepEqual(await states(), ['deleted', 'deleted', JobState.failed, JobState.running, JobState.waiting, 'deleted'], 'past a minute');
        deepEqual([...(await rig.store.steps(stepped!.job.id))], [], 'its steps went with it');
        await rig.advance(10 * MINUTE);
        await rig.scheduler.submit({ type: 'ok' });
        await rig.settle();
        deepEqual(await states(), ['deleted', 'deleted', 'deleted', JobState.running, JobState.waiting, 'deleted'], 'past ten minutes');
      },
    ),

    scenario(
      'keeps a job while its idempotency key deduplicates, then deletes both: the key makes a new job',
      () => ({ handlers: { ok: noop }, retention: { succeededMs: MINUTE, everyMs: 1_000 } }),
      async (rig) => {
        const first = await rig.scheduler.submit({ type: 'ok', idempotencyKey: 'k', idempotencyTtlMs: 10 * MINUTE });
        await rig.settle();
        await rig.advance(2 * MINUTE);
        const again = await rig.scheduler.submit({ type: 'ok', idempotencyKey: 'k', idempotencyTtlMs: 10 * MINUTE });
        ok(again.deduplicated && again.job.id === first.job.id, 'still deduplicated past the job’s retention: the key is live');
        await rig.advance(10 * MINUTE);
        await rig.scheduler.submit({ type: 'ok' });
        await rig.settle();
        equal(await rig.store.get(first.job.id), undefined, 'deleted once the key expired');
        equal(await rig.store.idempotency('k'), undefined, 'and the key with it');
        const later = await rig.scheduler.submit({ type: 'ok', idempotencyKey: 'k' });
        ok(!later.deduplicated && later.job.id !== first.job.id, 'the key makes a new job');
      },
    ),

    scenario(
      'sweeps a backlog a batch per tick, and keeps what `Infinity` keeps',
      () => ({ handlers: { ok: noop }, retention: { succeededMs: MINUTE, cancelledMs: Number.POSITIVE_INFINITY, batch: 10, everyMs: 1_000 } }),
      async (rig) => {
        const done = await rig.scheduler.submitAll(Array.from({ length: 35 }, () => ({ type: 'ok' })));
        const kept = await rig.scheduler.submit({ type: 'ok', delayMs: MINUTE });
        await rig.scheduler.cancel(kept.job.id);
        await rig.settle();
        // Every commit's deletes, as the store sees them.
        const perCommit: number[] = [];
        const commit = rig.store.commit.bind(rig.store);
        rig.store.commit = async (batch) => {
          if (batch.deletes.length > 0) perCommit.push(batch.deletes.length);
          return commit(batch);
        };
        await rig.advance(2 * MINUTE);
        await rig.scheduler.submit({ type: 'ok' }); // any activity: a tick that sweeps
        await rig.settle();
        deepEqual(perCommit, [10, 10, 10, 5], 'a batch per tick, the ticks following one another');
        let left = 0;
        for (const r of done) if ((await rig.store.get(r.job.id)) !== undefined) left++;
        equal(left, 0, 'all 35 deleted');
        equal((await rig.store.get(kept.job.id))?.state, JobState.cancelled, 'cancelled jobs kept forever');
        const m = await rig.scheduler.metrics();
        equal(m.depth.succeeded.total, 1, 'only the job submitted since');
      },
    ),

    scenario(
      'deletes a dedupe key with the last job it points to, and not before',
      () => ({ handlers: { ok: noop }, retention: { succeededMs: MINUTE, cancelledMs: MINUTE, everyMs: 1_000 } }),
      async (rig) => {
        const debounce = { key: 'doc', mode: 'debounce' } as const;
        const first = await rig.scheduler.submit({ type: 'ok', dedupe: debounce, delayMs: 1_000 });
        const last = await rig.scheduler.submit({ type: 'ok', dedupe: debounce, delayMs: 1_000 });
        const record = async () => (await rig.store.idempotency(dedupeRecordKey('doc')))?.jobId;
        equal(await record(), last.job.id, 'the key points at the last job');
        await rig.advance(2 * MINUTE);
        await rig.scheduler.submit({ type: 'ok' }); // a tick that sweeps
        await rig.settle();
        equal(await rig.store.get(first.job.id), undefined, 'the replaced job deleted past its retention');
        equal(await record(), undefined, 'the key went with the last job');
      },
    ),

    scenario<{ slow: Handler }>(
      'refuses submits past the backpressure limit, whole and retryable, and takes them again once jobs finish, across a restart',
      (rig) => ({
        handlers: {
          slow: async () => {
            await rig().sleep(1_000);
          },
        },
        queues: { default: { concurrency: 1 } },
        backpressure: { maxUnfinished: 5, retryAfterMs: 2_000 },
      }),
      async (rig) => {
        const first = await rig.scheduler.submitAll(Array.from({ length: 4 }, () => ({ type: 'slow' })));
        const keyed = await rig.scheduler.submit({ type: 'slow', idempotencyKey: 'k' });
        const full = await rig.scheduler.submit({ type: 'slow' }).catch((e: unknown) => e);
        ok(isBatonError(full, 'queue-full'), `refused with queue-full: ${String(full)}`);
        ok((full as QueueFullError).retryable && (full as QueueFullError).retryAfterMs === 2_000, 'retryable, after the hint');
        const again = await rig.scheduler.submit({ type: 'slow', idempotencyKey: 'k' });
        ok(again.deduplicated && again.job.id === keyed.job.id, 'a deduplicated submit takes no room');
        let m = await rig.scheduler.metrics();
        deepEqual(
          m.backpressure,
          { maxUnfinished: 5, unfinished: 5, refused: 1, perQueue: null, perKey: null, queues: {}, fullestKeys: [] },
          'the limit, the depth and the refusals in metrics()',
        );
        equal(m.depth.ready.total + m.depth.running.total, 5, 'nothing of the refused submit stored');
        // Two jobs finish: a batch of three does not fit, and is refused whole; two do.
        await rig.advance(2_000);
        const batch = await rig.scheduler.submitAll([{ type: 'slow' }, { type: 'slow' }, { type: 'slow' }]).catch((e: unknown) => e);
        ok(isBatonError(batch, 'queue-full'), 'a batch that does not fit is refused whole');
        await rig.scheduler.submitAll([{ type: 'slow' }, { type: 'slow' }]);
        // A new scheduler on the same store counts what is unfinished there.
        await rig.crashAndRestart();
        const after = await rig.scheduler.submit({ type: 'slow' }).catch((e: unknown) => e);
        ok(isBatonError(after, 'queue-full'), 'still full after a restart');
        await rig.advance(5 * MINUTE); // the job running at the crash is recovered once its lease lapses
        m = await rig.scheduler.metrics();
        equal(m.backpressure.unfinished, 0, 'all finished');
        equal(m.depth.succeeded.total, first.length + 1 + 2, 'every accepted job ran');
        await rig.scheduler.submit({ type: 'slow' });
      },
    ),

    scenario<{ slow: Handler }>(
      'refuses submits past the per-queue and per-key limits, saying which, and counts them again after a restart',
      (rig) => ({
        handlers: {
          slow: async () => {
            await rig().sleep(1_000);
          },
        },
        queues: { default: { concurrency: 1 }, bulk: { concurrency: 1 } },
        backpressure: { perQueue: 4, perKey: 2, retryAfterMs: 500 },
      }),
      async (rig) => {
        const submit = (fairnessKey?: string, queue = 'default') =>
          rig.scheduler.submit({ type: 'slow', queue, ...(fairnessKey === undefined ? {} : { fairnessKey }) }).catch((e: unknown) => e as QueueFullError);
        await submit('acme');
        await submit('acme');
        const keyFull = (await submit('acme')) as QueueFullError;
        ok(isBatonError(keyFull, 'queue-full'), `the third job of a key is refused: ${String(keyFull)}`);
        deepEqual(keyFull.scope, { queue: 'default', key: 'acme' }, 'the refusal names the queue and the key');
        equal(keyFull.retryAfterMs, 500, 'with the hint');
        await submit('zeta');
        await submit(); // jobs without a fairness key count for the queue only
        const queueFull = (await submit('other')) as QueueFullError;
        ok(isBatonError(queueFull, 'queue-full'), `the fifth job of the queue is refused: ${String(queueFull)}`);
        deepEqual(queueFull.scope, { queue: 'default' }, 'the refusal names the queue');
        await submit('acme', 'bulk');
        await submit('acme', 'bulk'); // another queue has room of its own, per key too
        const batch = await rig.scheduler
          .submitAll([
            { type: 'slow', queue: 'bulk', fairnessKey: 'b' },
            { type: 'slow', queue: 'bulk', fairnessKey: 'c' },
            { type: 'slow', queue: 'bulk', fairnessKey: 'd' },
          ])
          .catch((e: unknown) => e);
        ok(isBatonError(batch, 'queue-full'), 'a batch that would take the queue past its limit is refused whole');
        let m = await rig.scheduler.metrics();
        deepEqual(m.backpressure.queues, { default: 4, bulk: 2 }, 'unfinished per queue in metrics()');
        deepEqual(
          m.backpressure.fullestKeys.map((k) => `${k.queue}/${k.key}=${k.unfinished}`).sort(),
          ['bulk/acme=2', 'default/acme=2', 'default/zeta=1'],
          'and the fullest keys',
        );
        equal(m.backpressure.refused, 5, 'refusals counted: 1 + 1 + 3');
        await rig.crashAndRestart();
        const after = (await submit('acme', 'bulk')) as QueueFullError;
        deepEqual(after.scope, { queue: 'bulk', key: 'acme' }, 'a new scheduler counts the store again: the key');
        deepEqual(((await submit('new')) as QueueFullError).scope, { queue: 'default' }, 'and the queue');
        await rig.advance(10 * MINUTE);
        m = await rig.scheduler.metrics();
        deepEqual(m.backpressure.queues, { default: 0, bulk: 0 }, 'all finished');
        equal(m.backpressure.fullestKeys.length, 0, 'no key holds unfinished jobs');
        const ok2 = await rig.scheduler.submit({ type: 'slow', fairnessKey: 'acme' });
        equal(ok2.deduplicated, false, 'room again');
      },
    ),
  ];
  return { name: 'bounded storage', cases };
}
