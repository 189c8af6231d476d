import { JobState, Priority } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { START_MS } from '../rig.ts';
import { noop, scenarios } from './scenario.ts';

/**
 * Which job runs next: priority classes by weighted shares, fairness keys
 * by turns (weights, per-key concurrency), then submit order; queue
 * concurrency; preemption; and the response to congestion.
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

    scenario<{ work: Handler }>(
      'gives each priority class with ready work at least its share of starts, the rest to the most important',
      (rig) => ({
        handlers: { work: async () => rig().sleep(100) },
        queues: { default: { concurrency: 1, shares: { critical: 0.5, normal: 0.3, background: 0.2 } } },
        autoStart: false,
      }),
      async (rig) => {
        const ran: number[] = [];
        rig.scheduler.on('job.running', (e) => ran.push(e.job.priority));
        const backlog = (priority: Priority, n: number) => Array.from({ length: n }, () => ({ type: 'work' as const, priority }));
        await rig.scheduler.submitAll([...backlog(Priority.background, 30), ...backlog(Priority.normal, 30), ...backlog(Priority.critical, 30)]);
        rig.scheduler.start();
        await rig.advance(4_000);
        // All three classes had work for the first 40 starts: each got its share of every prefix, give or take one.
        const first = ran.slice(0, 40);
        equal(first.length, 40, '40 starts');
        for (let n = 1; n <= first.length; n++) {
          const prefix = first.slice(0, n);
          for (const [priority, share] of [
            [Priority.critical, 0.5],
            [Priority.normal, 0.3],
            [Priority.background, 0.2],
          ] as const) {
            const got = prefix.filter((p) => p === priority).length;
            ok(got >= Math.floor(n * share) - 1, `priority ${priority} got ${got} of the first ${n} starts, share ${share}`);
          }
        }
        equal(first[0], Priority.critical, 'nobody is owed a start at first: the most important goes');
      },
    ),

    scenario<{ work: Handler }>(
      "gives an idle class's share to the most important class with work",
      (rig) => ({
        handlers: { work: async () => rig().sleep(100) },
        queues: { default: { concurrency: 1, shares: { critical: 0.5, normal: 0.3, background: 0.2 } } },
        autoStart: false,
      }),
      async (rig) => {
        const ran: number[] = [];
        rig.scheduler.on('job.running', (e) => ran.push(e.job.priority));
        await rig.scheduler.submitAll(
          Array.from({ length: 40 }, (_, i) => ({ type: 'work' as const, priority: i % 2 === 0 ? Priority.normal : Priority.background })),
        );
        rig.scheduler.start();
        await rig.advance(2_000);
        const background = ran.slice(0, 20).filter((p) => p === Priority.background).length;
        // Background is owed 0.2 of the starts, and gets no more: critical's idle half goes to normal, not shared out.
        ok(background >= 3 && background <= 5, `background got ${background} of 20 starts (share 0.2)`);
      },
    ),

    scenario<{ high: Handler; low: Handler }>(
      'a class given no share waits while more important work keeps the queue busy',
      (rig) => ({
        handlers: {
          high: async () => {
            await rig().sleep(100);
            if (rig().clock.now() < START_MS + 20_000) await rig().scheduler.submit({ type: 'high', priority: Priority.critical });
          },
          low: async () => null,
        },
        queues: { default: { concurrency: 1, shares: { critical: 1 } } },
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

    scenario<{ work: Handler }>(
      'takes turns across fairness keys within a class; jobs without one share a turn',
      (rig) => ({ handlers: { work: async () => rig().sleep(100) }, queues: { default: { concurrency: 1 } }, autoStart: false }),
      async (rig) => {
        const ran: string[] = [];
        rig.scheduler.on('job.running', (e) => ran.push(e.job.fairnessKey ?? '-'));
        const of = (fairnessKey: string | undefined, n: number) =>
          Array.from({ length: n }, () => (fairnessKey === undefined ? { type: 'work' as const } : { type: 'work' as const, fairnessKey }));
        await rig.scheduler.submitAll([...of('noisy', 8), ...of('b', 2), ...of(undefined, 2), ...of('a', 2)]);
        rig.scheduler.start();
        await rig.advance(1_500);
        deepEqual(ran, ['-', 'a', 'b', 'noisy', '-', 'a', 'b', 'noisy', 'noisy', 'noisy', 'noisy', 'noisy', 'noisy', 'noisy'], 'round robin in key order');
      },
    ),

    scenario<{ work: Handler }>(
      "starts a quiet key's job within one turn of every key, however deep a noisy key's backlog",
      (rig) => ({ handlers: { work: async () => rig().sleep(100) }, queues: { default: { concurrency: 2 } } }),
      async (rig) => {
        await rig.scheduler.submitAll(Array.from({ length: 300 }, () => ({ type: 'work' as const, fairnessKey: 'noisy' })));
        await rig.advance(1_000);
        const waits: number[] = [];
        rig.scheduler.on('job.running', (e) => {
          if (e.job.fairnessKey === 'quiet') waits.push(rig.clock.now() - e.job.createdAtMs);
        });
        for (let i = 0; i < 5; i++) {
          await rig.scheduler.submit({ type: 'work', fairnessKey: 'quiet' });
          await rig.advance(1_000);
        }
        equal(waits.length, 5, 'every quiet job ran');
        for (const wait of waits) ok(wait <= 100, `a quiet job waited ${wait} ms behind a backlog of hundreds (one job takes 100 ms)`);
        const noisy = await rig.store.list({ state: JobState.ready, limit: 1000 });
        ok(noisy.jobs.length > 150, `the noisy backlog is still there: ${noisy.jobs.length}`);
      },
    ),

    scenario<{ work: Handler }, { peak: Map<string, number> }>(
      'gives a fairness key its weight in starts per turn and holds it to the per-key concurrency',
      (rig) => {
        const now = new Map<string, number>();
        const state = { peak: new Map<string, number>() };
        return {
          state,
          handlers: {
            work: async (_p: null, ctx) => {
              const key = ctx.job.fairnessKey ?? '';
              now.set(key, (now.get(key) ?? 0) + 1);
              state.peak.set(key, Math.max(state.peak.get(key) ?? 0, now.get(key)!));
              await rig().sleep(100);
              now.set(key, now.get(key)! - 1);
            },
          },
          queues: {
            default: { concurrency: 1, keys: { weights: { vip: 2 } } },
            wide: { concurrency: 4, keys: { concurrency: 2 } },
            plain: { concurrency: 3, keys: { concurrency: 1 } },
          },
          autoStart: false,
        };
      },
      async (rig, state) => {
        const ran: string[] = [];
        rig.scheduler.on('job.running', (e) => {
          if (e.job.queue === 'default') ran.push(e.job.fairnessKey!);
        });
        const of = (fairnessKey: string, n: number, queue = 'default') =>
          Array.from({ length: n }, () => ({ type: 'work' as const, fairnessKey, queue, payload: null }));
        const unkeyed = Array.from({ length: 3 }, () => ({ type: 'work' as const, queue: 'plain', payload: null }));
        await rig.scheduler.submitAll([...of('vip', 4), ...of('x', 2), ...of('y', 2), ...of('solo', 12, 'wide'), ...unkeyed]);
        rig.scheduler.start();
        await rig.advance(2_000);
        deepEqual(ran, ['vip', 'vip', 'x', 'y', 'vip', 'vip', 'x', 'y'], 'vip starts two per turn');
        equal(state.peak.get('solo'), 2, 'one key alone runs at most 2 at once in a queue of 4');
        equal((await rig.store.list({ queue: 'wide', state: JobState.succeeded })).jobs.length, 12, 'and all of its jobs ran');
        equal(state.peak.get(''), 3, 'jobs without a fairness key are not held to the per-key limit');
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
      'under congestion sheds background work past its deadline, and relaxes as it drains',
      (rig) => ({
        handlers: { work: async () => rig().sleep(100) },
        queues: { default: { concurrency: 1 } },
        congestion: { readyDepth: 5 },
      }),
      async (rig) => {
        await rig.scheduler.submitAll(Array.from({ length: 30 }, () => ({ type: 'work' as const, priority: Priority.normal })));
        const { job: background } = await rig.scheduler.submit({ type: 'work', priority: Priority.background, deadlineAtMs: START_MS + 1_000 });
        await rig.advance(10);
        const busy = await rig.scheduler.metrics();
        ok(busy.congestion.level > 0, `congested: level ${busy.congestion.level} at ${busy.congestion.readyDepth} ready`);
        await rig.advance(1_000);
        const shed = (await rig.store.get(background.id))!;
        equal(shed.state, JobState.failed, 'the background job was shed');
        equal(shed.history.at(-1)!.cause.code, 'shed', 'recorded as shed, not lost');
        await rig.advance(4_000);
        const calm = await rig.scheduler.metrics();
        equal(calm.congestion.level, 0, 'calm again once drained');
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
