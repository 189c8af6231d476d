import { describe, expect, it } from 'vitest';
import { Congestion } from './congestion.ts';
import { type JobRecord, JobState, type Priority } from './job.ts';
import { MemoryStore } from './memory-store.ts';
import { resolveOptions } from './options.ts';
import { emptyBatch } from './store.ts';
import { sampleRecord } from './testing/conformance/sample-record.ts';
import { FakeClock } from './testing/fake-clock.ts';
import { SeededRandom } from './testing/seeded-random.ts';

function congestion(readyDepth = 100): Congestion {
  const options = resolveOptions({
    store: new MemoryStore(),
    clock: new FakeClock(0),
    random: new SeededRandom(),
    handlers: {},
    congestion: { readyDepth },
  });
  return new Congestion(options);
}

/** `c` with `ready` ready jobs, by deltas from its current count. */
function withReady(c: Congestion, ready: number): Congestion {
  c.apply({ ready: ready - c.readyDepth, waiting: 0, unfinished: 0 });
  return c;
}

async function storeWith(records: readonly JobRecord[]): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.commit({ ...emptyBatch(), jobs: records.map((record) => ({ record, expectedVersion: null, expectedState: null })) });
  return store;
}

const ready = (priority: Priority) => sampleRecord({ priority });
const waiting = () => sampleRecord({ state: JobState.waiting, rank: null, readyAtMs: null, dependsOn: ['01JOBELSEWHERE'] });
const scheduled = () => sampleRecord({ state: JobState.scheduled, rank: null, readyAtMs: null, runAtMs: 5000, dueAtMs: 5000 });

describe('Congestion', () => {
  it('starts calm', () => {
    const c = congestion();
    expect(c.snapshot()).toEqual({ readyDepth: 0, level: 0 });
    expect(c.waitingDepth).toBe(0);
  });

  it('stays at level 0 up to readyDepth ready jobs', () => {
    expect(withReady(congestion(), 50).level).toBe(0);
    expect(withReady(congestion(), 100).level).toBe(0);
  });

  it('rises in proportion between readyDepth and twice it, and stays at 1 beyond', () => {
    expect(withReady(congestion(), 125).level).toBe(0.25);
    expect(withReady(congestion(), 150).level).toBe(0.5);
    expect(withReady(congestion(), 200).level).toBe(1);
    expect(withReady(congestion(), 1000).level).toBe(1);
  });

  it('relaxes as the queue drains', () => {
    const c = withReady(congestion(), 200);
    c.apply({ ready: -50, waiting: 0, unfinished: 0 });
    expect(c.snapshot()).toEqual({ readyDepth: 150, level: 0.5 });
    c.apply({ ready: -150, waiting: 0, unfinished: 0 });
    expect(c.snapshot()).toEqual({ readyDepth: 0, level: 0 });
  });

  it('sheds background work that missed its deadline under congestion', () => {
    const job = sampleRecord({ priority: 0, deadlineAtMs: 9000 });
    expect(withReady(congestion(), 101).missedDeadline(job)).toEqual({
      code: 'shed',
      message: 'shed under congestion (101 ready): deadline 9000 passed before the job could start',
    });
  });

  it('says deadline-exceeded for background work when calm, and for other priorities under congestion', () => {
    const exceeded = { code: 'deadline-exceeded', message: 'deadline 9000 passed before the job could start' };
    expect(congestion().missedDeadline(sampleRecord({ priority: 0, deadlineAtMs: 9000 }))).toEqual(exceeded);
    const busy = withReady(congestion(), 200);
    for (const priority of [1, 2, 3, 4] as const) expect(busy.missedDeadline(sampleRecord({ priority, deadlineAtMs: 9000 }))).toEqual(exceeded);
  });

  it('does not stretch retries when calm', () => {
    const c = withReady(congestion(), 100);
    expect(([0, 1, 2, 3, 4] as const).map((p) => c.retryStretch(p))).toEqual([1, 1, 1, 1, 1]);
  });

  it('stretches background retries 4× at full congestion, less for higher priorities, not critical ones', () => {
    const c = withReady(congestion(), 200);
    expect(([0, 1, 2, 3, 4] as const).map((p) => c.retryStretch(p))).toEqual([4, 3.25, 2.5, 1.75, 1]);
    expect(withReady(congestion(), 150).retryStretch(0)).toBe(2.5);
  });

  it('counts ready and waiting jobs of every priority and queue from the store', async () => {
    const store = await storeWith([ready(0), ready(4), { ...ready(2), queue: 'other' }, waiting(), waiting(), scheduled()]);
    const c = congestion(2);
    await c.load(store);
    expect(c.readyDepth).toBe(3);
    expect(c.waitingDepth).toBe(2);
    expect(c.level).toBe(0.5);
  });

  it('counts from the store only once, then keeps the counts by the deltas it is given', async () => {
    const store = await storeWith([ready(2), waiting()]);
    const c = congestion();
    await c.load(store);
    await store.commit({ ...emptyBatch(), jobs: [ready(2), ready(2)].map((record) => ({ record, expectedVersion: null, expectedState: null })) });
    await c.load(store);
    expect([c.readyDepth, c.waitingDepth]).toEqual([1, 1]);
    c.apply({ ready: 2, waiting: -1, unfinished: 0 });
    expect([c.readyDepth, c.waitingDepth]).toEqual([3, 0]);
  });
});
