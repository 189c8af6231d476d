/**
 * Type tests for the scheduler's API: a handler map decides what `submit`
 * takes and what a finished job's result is. Checked by `npm run
 * typecheck` (tsc); a line marked `@ts-expect-error` that compiles fails it.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { JobOf, SchedulerApi, SubmitResult } from './api.ts';
import type { JobContext } from './context.ts';
import type { JobRecord, Json, Priority } from './job.ts';
import { MemoryStore } from './memory-store.ts';
import { createScheduler, type Scheduler } from './scheduler.ts';
import { FakeClock } from './testing/fake-clock.ts';
import { SeededRandom } from './testing/seeded-random.ts';

const handlers = {
  resize: async (p: { url: string; width: number }) => ({ url: p.url, width: p.width }),
  ping: async (_p: null) => 'pong' as const,
  charge: async (p: { cents: number }, ctx: JobContext) => ctx.step('charge', () => ({ id: `ch_${p.cents}` })),
  untyped: async () => 1,
};
type H = typeof handlers;
const scheduler = createScheduler({ store: new MemoryStore(), clock: new FakeClock(), random: new SeededRandom(), handlers, autoStart: false });

describe('the core scheduler', () => {
  it('is a SchedulerApi of its handler map', () => {
    expectTypeOf(scheduler).toEqualTypeOf<Scheduler<H>>();
    expectTypeOf(scheduler).toExtend<SchedulerApi<H>>();
  });

  it('types the payload by the job type, and requires it when the handler needs one', async () => {
    await scheduler.submit({ type: 'resize', payload: { url: '/a.png', width: 320 } });
    await scheduler.submit({ type: 'ping' }); // a null payload may be left out
    // @ts-expect-error: resize needs its payload
    await scheduler.submit({ type: 'resize' });
    // @ts-expect-error: width must be a number
    await scheduler.submit({ type: 'resize', payload: { url: '/a.png', width: '320' } });
    // @ts-expect-error: no handler of that type
    await scheduler.submit({ type: 'teleport' });
  });

  it('takes priorities as the Priority type, not any number', async () => {
    await scheduler.submit({ type: 'ping', priority: 4 });
    // @ts-expect-error: priorities are 0 to 4
    await scheduler.submit({ type: 'ping', priority: 9 });
    expectTypeOf<JobRecord['priority']>().toEqualTypeOf<Priority>();
  });

  it('types the result of a submitted job by its handler', async () => {
    const submitted = await scheduler.submit({ type: 'resize', payload: { url: '/a.png', width: 320 } });
    expectTypeOf(submitted).toEqualTypeOf<SubmitResult<H, 'resize'>>();
    expectTypeOf(submitted.job.type).toEqualTypeOf<'resize'>();
    expectTypeOf(submitted.job.payload).toEqualTypeOf<{ url: string; width: number }>();
    const done = await scheduler.waitFor(submitted.job);
    expectTypeOf(done.result).toEqualTypeOf<{ url: string; width: number } | null>();
    const charge = await scheduler.waitFor((await scheduler.submit({ type: 'charge', payload: { cents: 5 } })).job);
    expectTypeOf(charge.result).toEqualTypeOf<{ id: string } | null>();
  });

  it('narrows a job read by id through its type', async () => {
    const job = await scheduler.waitFor('some-id');
    expectTypeOf(job).toEqualTypeOf<JobOf<H>>();
    if (job.type === 'ping') expectTypeOf(job.result).toEqualTypeOf<'pong' | null>();
    const maybe = await scheduler.get('some-id');
    expectTypeOf(maybe).toEqualTypeOf<JobOf<H> | undefined>();
  });

  it('falls back to plain records and JSON results for an untyped handler map', async () => {
    const untyped = scheduler as unknown as SchedulerApi;
    await untyped.submit({ type: 'anything', payload: { a: 1 } });
    await untyped.submit({ type: 'anything' });
    expectTypeOf(await untyped.waitFor('id')).toEqualTypeOf<JobRecord>();
    expectTypeOf((await untyped.waitFor('id')).result).toEqualTypeOf<Json>();
  });
});
