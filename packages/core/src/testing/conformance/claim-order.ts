import { JobState, Priority, type JobRecord } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { START_MS } from '../rig.ts';
import { noop, scenarios } from './scenario.ts';

/**
 * Which job runs next: priority, then submit order; aging against starvation;
 * queue concurrency; preemption; and the response to congestion.
 */
export function claimOrder(harness: StoreHarness): ConformanceGroup {
  const scenario = scenarios(harness);
  const cases: ConformanceCase[] = [
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

    scenario(
      'claims, in the same tick, a job readied by a claim-time failure in a queue claimed after its own',
      () => ({ handlers: { quick: noop }, queues: { default: { concurrency: 1 }, bulk: { concurrency: 1 } } }),
      async (rig) => {
        const now = rig.clock.now();
        // At +300 P fails on its deadline and readies A (bulk); A fails on its deadline as it is claimed, readying B (default).
        const [, , b] = await rig.scheduler.submitAll([
          { type: 'quick', key: 'k', delayMs: 1_000, deadlineAtMs: now + 300 },
          { type: 'quick', key: 'k', queue: 'bulk', deadlineAtMs: now + 300 },
          { type: 'quick', key: 'k' },
        ]);
        await rig.advance(400);
        equal((await rig.store.get(b!.job.id))?.state, JobState.succeeded, 'not left ready beside an idle slot');
      },
    ),
  ];
  return { name: 'claim order', cases };
}
