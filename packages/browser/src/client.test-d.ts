/** Type tests: the page client is typed by the worker's handler map, as the scheduler is. */
import type { SchedulerApi } from '@baton/core';
import { describe, expectTypeOf, it } from 'vitest';
import { type BatonClient, connect } from './client.ts';

const handlers = {
  thumbnail: async (p: { url: string }) => ({ url: p.url, bytes: 1024 }),
  sync: async (_p: undefined) => true,
};
type H = typeof handlers;

describe('connect', () => {
  it('returns a client of the worker’s handler map', () => {
    const baton = connect<H>({} as Worker);
    expectTypeOf(baton).toEqualTypeOf<BatonClient<H>>();
    expectTypeOf(baton).toExtend<SchedulerApi<H>>();
  });

  it('types payloads and results from the page', async () => {
    const baton = connect<H>({} as Worker);
    const { job } = await baton.submit({ type: 'thumbnail', payload: { url: '/cat.png' } });
    await baton.submit({ type: 'sync' });
    // @ts-expect-error: thumbnail needs a url
    await baton.submit({ type: 'thumbnail', payload: {} });
    const done = await baton.waitFor(job);
    expectTypeOf(done.result).toEqualTypeOf<{ url: string; bytes: number } | null>();
  });
});
