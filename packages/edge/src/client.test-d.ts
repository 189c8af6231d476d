/** Type tests: the HTTP client is typed by the handler map of the objects behind a queue. */
import type { SchedulerApi } from '@baton/core';
import { describe, expectTypeOf, it } from 'vitest';
import { createClient, type QueueClient } from './client.ts';

const handlers = {
  email: async (p: { to: string; subject: string }) => ({ sentTo: p.to }),
  sum: async (_p: null) => 3,
};
type H = typeof handlers;

describe('createClient', () => {
  it('gives a typed queue client, the scheduler API without the queue field', () => {
    const emails = createClient({ baseUrl: 'https://jobs.example.com', token: 't' }).queue<H>('emails');
    expectTypeOf(emails).toEqualTypeOf<QueueClient<H>>();
    expectTypeOf(emails).toExtend<Omit<SchedulerApi<H>, 'submit' | 'submitAll'>>();
  });

  it('types payloads and results over HTTP', async () => {
    const emails = createClient({ baseUrl: 'https://jobs.example.com', token: 't' }).queue<H>('emails');
    const { job } = await emails.submit({ type: 'email', payload: { to: 'ada@example.com', subject: 'hi' } }, { idempotencyKey: 'welcome:ada' });
    await emails.submit({ type: 'sum' });
    // @ts-expect-error: the queue is the path's, not the body's
    await emails.submit({ type: 'sum', queue: 'other' });
    // @ts-expect-error: email needs a subject
    await emails.submit({ type: 'email', payload: { to: 'ada@example.com' } });
    const done = await emails.waitFor(job);
    expectTypeOf(done.result).toEqualTypeOf<{ sentTo: string } | null>();
  });
});
