import { env } from 'cloudflare:workers';
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { schedulerStub, type SchedulerRpc } from '../src/index.ts';

interface TestJobsRpc extends SchedulerRpc {
  advance(ms: number): Promise<number>;
  effects(): Promise<string[]>;
  scheduleEveryMinute(id: string): Promise<number | null>;
  nextOccurrences(): Promise<Array<number | null>>;
}

function jobs(name: string): TestJobsRpc {
  return schedulerStub(env.JOBS, name) as TestJobsRpc;
}

/** An answer's value (a refusal fails the test). */
function value<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

/** The job once it has finished (an unknown id fails the test). */
async function finished(stub: TestJobsRpc, id: string) {
  const result = await stub.waitFor(id);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

async function clearAlarm(stub: TestJobsRpc): Promise<void> {
  await runInDurableObject(stub as never, (_instance: unknown, state: DurableObjectState) => state.storage.deleteAlarm());
}

describe('SchedulerObject (workerd)', () => {
  it('runs a submitted job inside the object and stores its result in SQLite', async () => {
    const stub = jobs('runs');
    const submitted = await stub.submit([{ type: 'echo', payload: { text: 'hello edge' } }]);
    if (!submitted.ok) throw new Error(submitted.error.message);
    const done = await finished(stub, submitted.value[0]!.job.id);
    expect(done?.state).toBe('succeeded');
    expect(done?.result).toBe('hello edge');
    const rows: string[] = await runInDurableObject(stub as never, (_i: unknown, state: DurableObjectState) =>
      state.storage.sql
        .exec('SELECT state FROM baton_jobs')
        .toArray()
        .map((r) => String(r.state)),
    );
    expect(rows).toEqual(['succeeded']);
    await clearAlarm(stub);
  });

  it('runs a delayed job when the object alarm fires, with the alarm at its due time', async () => {
    const stub = jobs('delayed');
    const submitted = await stub.submit([{ type: 'echo', payload: { text: 'later' }, delayMs: 10_000 }]);
    if (!submitted.ok) throw new Error(submitted.error.message);
    const job = submitted.value[0]!.job;
    expect(job.state).toBe('scheduled');
    const alarm: number | null = await runInDurableObject(stub as never, (_i: unknown, state: DurableObjectState) => state.storage.getAlarm());
    expect(alarm).toBe(job.dueAtMs);
    expect(value(await stub.get(job.id))?.state).toBe('scheduled');
    await stub.advance(10_000);
    expect(await runDurableObjectAlarm(stub as never)).toBe(true);
    const done = await finished(stub, job.id);
    expect(done?.state).toBe('succeeded');
    expect(done?.startedAtMs).toBeGreaterThanOrEqual(job.dueAtMs!);
    await clearAlarm(stub);
  });

  it('fires a schedule from the object alarm: its next occurrence is the alarm, and each fire sets the next', async () => {
    const stub = jobs('scheduled');
    const nextAtMs = (await stub.scheduleEveryMinute('minutely'))!;
    expect(nextAtMs % 60_000).toBe(0);
    const alarm: number | null = await runInDurableObject(stub as never, (_i: unknown, state: DurableObjectState) => state.storage.getAlarm());
    expect(alarm).toBe(nextAtMs);
    await stub.advance(nextAtMs - Date.now() + 10);
    expect(await runDurableObjectAlarm(stub as never)).toBe(true);
    await expect.poll(async () => value(await stub.list({ state: 'succeeded' }))?.jobs.map((j) => j.payload)).toEqual([{ text: 'minutely' }]);
    expect(await stub.nextOccurrences()).toEqual([nextAtMs + 60_000]);
    const next: number | null = await runInDurableObject(stub as never, (_i: unknown, state: DurableObjectState) => state.storage.getAlarm());
    expect(next).not.toBeNull();
    expect(next!).toBeLessThanOrEqual(nextAtMs + 60_000); // the next occurrence, or something due sooner
    await clearAlarm(stub);
  });

  it('recovers a job cut off by an object reset, after its lease, without repeating its step', async () => {
    const stub = jobs('reset');
    const submitted = await stub.submit([{ type: 'charge', payload: { order: 'o-1' } }]);
    if (!submitted.ok) throw new Error(submitted.error.message);
    const id = submitted.value[0]!.job.id;
    // The first attempt charges, then hangs: the object is reset mid-job.
    await expect.poll(() => stub.effects()).toEqual(['charge o-1']);
    expect(value(await stub.get(id))?.state).toBe('running');
    await abortAllDurableObjects();

    const after = jobs('reset');
    expect(value(await after.get(id))?.state).toBe('running'); // nothing lost: still held by the dead lease
    await after.advance(60_001);
    expect(await runDurableObjectAlarm(after as never)).toBe(true);
    const done = await finished(after, id);
    expect(done?.state).toBe('succeeded');
    expect(done?.attempt).toBe(2);
    expect(done?.result).toBe('charged o-1');
    expect(done?.history.some((t) => t.cause.code === 'lease-expired')).toBe(true);
    expect(await after.effects()).toEqual(['charge o-1']); // the step ran once
    await clearAlarm(after);
  });

  it('answers bad input with an error body naming the field, storing nothing', async () => {
    const stub = jobs('bad');
    const result = await stub.submit([{ type: 'nope' }]);
    expect(result).toEqual({ ok: false, error: { code: 'validation', field: 'job.type', message: expect.stringContaining('"nope"'), retryable: false } });
    const cancelled = await stub.cancel('missing');
    expect(cancelled).toEqual({ ok: false, error: { code: 'unknown-job', message: 'No job with id `missing`', retryable: false } });
    expect(value(await stub.list({})).jobs).toEqual([]);
  });
});
