import { cronParser } from '../../cron.ts';
import { JobState } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok, rejects } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { START_MS } from '../rig.ts';
import { scenarios } from './scenario.ts';

/**
 * Schedules: occurrences from an interval or a cron expression on the
 * scheduler's one timer, paused, resumed, changed and deleted, and what
 * happens to occurrences missed while no scheduler ran and to those that
 * come while the last one still runs.
 */
export function schedules(harness: StoreHarness): ConformanceGroup {
  const scenario = scenarios(harness);
  const cases: ConformanceCase[] = [
    scenario<{ tick: Handler }, number[]>(
      'submits a job at each occurrence of an interval or a cron expression, and can pause, resume, change and delete it',
      (rig) => {
        const ran: number[] = [];
        return { state: ran, cron: cronParser, handlers: { tick: async () => void ran.push(rig().clock.now() - START_MS) } };
      },
      async (rig, ran) => {
        const every = await rig.scheduler.schedule({ id: 'every', everyMs: 1_000, job: { type: 'tick' } });
        equal(every.nextAtMs, START_MS + 1_000, 'the first occurrence, one interval on');
        await rig.advance(3_500);
        deepEqual(ran, [1_000, 2_000, 3_000], 'one job at each occurrence, on the timer');
        await rig.scheduler.pauseSchedule('every');
        await rig.advance(2_000);
        equal(ran.length, 3, 'none while paused');
        const resumed = await rig.scheduler.resumeSchedule('every');
        equal(resumed.nextAtMs, START_MS + 6_000, 'resumed: the next occurrence after now');
        await rig.advance(1_000);
        deepEqual(ran.slice(3), [6_000], 'and on it goes');
        await rig.scheduler.schedule({ id: 'every', everyMs: 5_000, job: { type: 'tick' } });
        await rig.advance(5_000);
        deepEqual(ran.slice(4), [11_500], 'a changed interval counts from the change');
        const deleted = await rig.scheduler.unschedule('every');
        equal(deleted.fired, 5, 'the deleted schedule, with what it did');
        await rig.advance(10_000);
        equal(ran.length, 5, 'nothing once deleted');
        deepEqual(await rig.scheduler.schedules(), [], 'no schedule left');
        // A cron expression with seconds: every 2 s.
        await rig.scheduler.schedule({ id: 'cron', cron: '*/2 * * * * *', job: { type: 'tick' } });
        const from = rig.clock.now();
        await rig.advance(4_100);
        equal(ran.length, 7, 'two cron occurrences in 4 s');
        ok(
          ran.slice(5).every((t) => (t + START_MS) % 2_000 === 0),
          `on even seconds: ${ran.slice(5).map((t) => t + START_MS - from)}`,
        );
        const jobs = (await rig.store.list({ type: 'tick', limit: 100 })).jobs;
        ok(
          jobs.every((j) => j.tags.includes('schedule:every') || j.tags.includes('schedule:cron')),
          'each occurrence tagged with its schedule',
        );
        await rejects(rig.scheduler.pauseSchedule('nope'), 'unknown-schedule', 'an unknown schedule');
        await rejects(rig.scheduler.schedule({ id: 'bad', cron: 'every day', job: { type: 'tick' } }), 'validation', 'a bad cron expression');
        await rejects(rig.scheduler.schedule({ id: 'bad', everyMs: 1_000, job: { type: 'teleport' } }), 'validation', 'a job no handler takes');
        await rejects(rig.scheduler.schedule({ id: 'bad', everyMs: 1_000, cron: '* * * * *', job: { type: 'tick' } }), 'validation', 'both at once');
      },
    ),

    scenario<{ tick: Handler }, number[]>(
      'after a crash, submits missed occurrences by the schedule: all, once, or none',
      (rig) => {
        const ran: number[] = [];
        return { state: ran, handlers: { tick: async () => void ran.push(rig().clock.now() - START_MS) } };
      },
      async (rig) => {
        // Overlap 'allow': the missed policy alone decides (under 'skip', a caught-up occurrence would skip the next).
        for (const missed of ['all', 'once', 'skip'] as const) {
          await rig.scheduler.schedule({ id: missed, everyMs: 1_000, missed, overlap: 'allow', job: { type: 'tick' } });
        }
        await rig.advance(1_000);
        await rig.scheduler.stop({ abort: true });
        await rig.clock.advance(4_500); // 4 occurrences pass with no scheduler running
        await rig.crashAndRestart();
        await rig.advance(100);
        const fired = Object.fromEntries((await rig.scheduler.schedules()).map((s) => [s.id, [s.fired, s.skipped]]));
        deepEqual(fired, { all: [5, 0], once: [2, 3], skip: [1, 4] }, 'all caught up, once ran one, skip ran none of the missed');
        const next = (await rig.scheduler.schedules()).map((s) => s.nextAtMs);
        ok(
          next.every((t) => t === START_MS + 6_000),
          `the next occurrence after now for each: ${next}`,
        );
      },
    ),

    scenario<{ slow: Handler }, { running: number; peak: number }>(
      'an occurrence that comes while the last still runs is skipped, queued or run beside it',
      (rig) => {
        const state = { running: 0, peak: 0 };
        return {
          state,
          queues: { default: { concurrency: 4 } },
          handlers: {
            slow: async () => {
              state.running++;
              state.peak = Math.max(state.peak, state.running);
              await rig().sleep(2_500);
              state.running--;
            },
          },
        };
      },
      async (rig, state) => {
        for (const overlap of ['skip', 'queue'] as const) await rig.scheduler.schedule({ id: overlap, everyMs: 1_000, overlap, job: { type: 'slow' } });
        await rig.advance(6_200);
        const byId = Object.fromEntries((await rig.scheduler.schedules()).map((s) => [s.id, s]));
        equal(byId.skip!.fired + byId.skip!.skipped, 6, 'six occurrences of the skipping schedule');
        ok(byId.skip!.skipped >= 3, `most skipped while the last ran: ${byId.skip!.fired} fired, ${byId.skip!.skipped} skipped`);
        equal(byId.queue!.fired, 6, 'every occurrence of the queueing schedule submitted');
        const queued = (await rig.store.list({ limit: 100 })).jobs.filter((j) => j.tags.includes('schedule:queue'));
        ok(queued.filter((j) => j.state === JobState.running).length <= 1, 'one at a time');
        ok(
          queued.some((j) => j.state === JobState.waiting),
          'the rest wait their turn',
        );
        ok(state.peak <= 2, `never more than one of each at once: ${state.peak}`);
      },
    ),
  ];
  return { name: 'schedules', cases };
}
