import { describe, expect, it } from 'vitest';
import { type JobRecord, JobState } from './job.ts';
import { MemoryStore } from './memory-store.ts';
import { readyPatch, transition, update } from './records.ts';
import { emptyBatch } from './store.ts';
import { sampleRecord } from './testing/conformance/sample-record.ts';
import { TickContext } from './tick-context.ts';

async function storeWith(records: readonly JobRecord[]): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.commit({ ...emptyBatch(), jobs: records.map((record) => ({ record, expectedVersion: null, expectedState: null })) });
  return store;
}

const scheduled = () => sampleRecord({ state: JobState.scheduled, rank: null, readyAtMs: null, runAtMs: 4000, dueAtMs: 4000 });
const DUE = { code: 'due' };

describe('TickContext', () => {
  it('carries the tick’s time and starts with nothing to write or announce', () => {
    const ctx = new TickContext(new MemoryStore(), 4000);
    expect(ctx.now).toBe(4000);
    expect(ctx.tick.batch()).toEqual(emptyBatch());
    expect(ctx.fx.transitions).toEqual([]);
    expect(ctx.fx.events).toEqual([]);
  });

  it('writes a transition to the tick and records it for after the commit', async () => {
    const job = scheduled();
    const store = await storeWith([job]);
    const ctx = new TickContext(store, 4000);
    const next = transition(job, JobState.ready, ctx.now, DUE, readyPatch(ctx.now));
    ctx.put(next, job, DUE);
    expect(ctx.tick.peek(job.id)).toBe(next);
    expect(await ctx.tick.get(job.id)).toBe(next);
    expect(ctx.fx.transitions).toEqual([{ record: next, from: JobState.scheduled, cause: DUE }]);
    expect(ctx.tick.batch().jobs).toEqual([{ record: next, expectedVersion: job.version, expectedState: JobState.scheduled }]);
    expect(await store.get(job.id)).toBe(job); // nothing reaches the store before the commit
    await store.commit(ctx.tick.batch());
    expect(await store.get(job.id)).toBe(next);
  });

  it('records a new job as a transition from no state, and inserts it', async () => {
    const store = new MemoryStore();
    const ctx = new TickContext(store, 1000);
    const job = sampleRecord();
    const submitted = { code: 'submitted' };
    ctx.put(job, null, submitted);
    expect(ctx.fx.transitions).toEqual([{ record: job, from: null, cause: submitted }]);
    expect(ctx.tick.batch().jobs).toEqual([{ record: job, expectedVersion: null, expectedState: null }]);
    await store.commit(ctx.tick.batch());
    expect(await store.get(job.id)).toBe(job);
  });

  it('keeps every transition of a job written twice in one tick, as one write against the stored version', async () => {
    const job = scheduled();
    const store = await storeWith([job]);
    const ctx = new TickContext(store, 4000);
    const ready = transition(job, JobState.ready, ctx.now, DUE, readyPatch(ctx.now));
    ctx.put(ready, job, DUE);
    const claimed = { code: 'claimed' };
    const running = transition(ready, JobState.running, ctx.now, claimed, { rank: null, attempt: 1, dueAtMs: 34_000 });
    ctx.put(running, ready, claimed);
    expect(ctx.fx.transitions.map((t) => [t.from, t.record.state])).toEqual([
      [JobState.scheduled, JobState.ready],
      [JobState.ready, JobState.running],
    ]);
    expect(ctx.tick.batch().jobs).toEqual([{ record: running, expectedVersion: job.version, expectedState: JobState.scheduled }]);
    await store.commit(ctx.tick.batch());
  });

  it('gives the tick’s newer version of a record read earlier', () => {
    const job = scheduled();
    const ctx = new TickContext(new MemoryStore(), 4000);
    const next = transition(job, JobState.ready, ctx.now, DUE, readyPatch(ctx.now));
    ctx.put(next, job, DUE);
    expect(ctx.current(job)).toBe(next);
  });

  it('gives the tick’s version after a write that is not a transition, and announces none', () => {
    const job = sampleRecord({ state: JobState.running, rank: null, attempt: 1, dueAtMs: 31_000 });
    const ctx = new TickContext(new MemoryStore(), 4000);
    const renewed = update(job, ctx.now, { dueAtMs: 34_000 });
    ctx.tick.put(renewed, job);
    expect(ctx.current(job)).toBe(renewed);
    expect(ctx.fx.transitions).toEqual([]);
  });

  it('gives the record itself when the tick has not written it', () => {
    const [job, other] = [scheduled(), scheduled()];
    const ctx = new TickContext(new MemoryStore(), 4000);
    ctx.put(transition(other, JobState.ready, ctx.now, DUE, readyPatch(ctx.now)), other, DUE);
    expect(ctx.current(job)).toBe(job);
  });
});

describe('Tick claim reads', () => {
  const ready = (fairnessKey: string, rank: number) => sampleRecord({ fairnessKey, rank, readyAtMs: rank });
  const CLAIMED = { code: 'claimed' };

  it('still shows every key with a ready job when the heads it read were claimed this tick (perKey)', async () => {
    const [a1, a2, b1, b2] = [ready('a', 1), ready('a', 2), ready('b', 1), ready('b', 2)];
    const ctx = new TickContext(await storeWith([a1!, a2!, b1!, b2!]), 4000);
    const heads = async () => (await ctx.tick.claimable({ queue: 'default', priority: 2, key: null, after: false, perKey: 1 }, 10)).map((r) => r.id);
    expect(await heads()).toEqual([a1!.id, b1!.id]);
    for (const head of [a1!, b1!]) ctx.put(transition(head, JobState.running, ctx.now, CLAIMED, { rank: null, dueAtMs: 9000 }), head, CLAIMED);
    expect(await heads()).toEqual([a2!.id, b2!.id]);
  });

  it('adds the tick’s own ready jobs in claim order, but none past the last key of a full read', async () => {
    const z = ready('z', 1);
    const stored = [ready('a', 1), ready('a', 2), ready('b', 1), ready('b', 2), ready('c', 1), z];
    const ctx = new TickContext(await storeWith(stored), 4000);
    // Claiming z moves a stored row out of the order: reads fetch one more per key, and the capped result is shorter.
    ctx.put(transition(z, JobState.running, ctx.now, { code: 'claimed' }, { rank: null, dueAtMs: 9000 }), z, { code: 'claimed' });
    const early = sampleRecord({ fairnessKey: 'a', state: JobState.scheduled, rank: null, dueAtMs: 10 });
    const late = sampleRecord({ fairnessKey: 'd', state: JobState.scheduled, rank: null, dueAtMs: 10 });
    for (const job of [early, late]) ctx.put(transition(job, JobState.ready, ctx.now, DUE, { ...readyPatch(0), dueAtMs: null }), null, DUE);
    const read = async (limit: number) =>
      (await ctx.tick.claimable({ queue: 'default', priority: 2, key: null, after: false, perKey: 1 }, limit)).map((r) => r.fairnessKey);
    expect(await read(10)).toEqual(['a', 'b', 'c', 'd']);
    // The store's read of 4 stopped at key b: d may not come before c, which the next read (after b) finds.
    expect(await read(3)).toEqual(['a', 'b']);
  });
});
