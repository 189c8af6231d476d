import { describe, expect, it } from 'vitest';
import { Connectivity } from './connectivity.ts';
import { type JobRecord, JobState } from './job.ts';
import { MemoryStore } from './memory-store.ts';
import { readyPatch, transition } from './records.ts';
import { emptyBatch } from './store.ts';
import { sampleRecord } from './testing/conformance/sample-record.ts';
import { TickContext } from './tick-context.ts';

const RETRY_MS = 5000;

const running = (over: Partial<JobRecord> = {}) =>
  sampleRecord({ state: JobState.running, network: true, rank: null, attempt: 2, startedAtMs: 900, dueAtMs: 31_000, ...over });

async function storeWith(records: readonly JobRecord[]): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.commit({ ...emptyBatch(), jobs: records.map((record) => ({ record, expectedVersion: null, expectedState: null })) });
  return store;
}

/** Parks `jobs` in one tick at `now` and commits it. */
async function parkAll(c: Connectivity, store: MemoryStore, jobs: readonly JobRecord[], now: number): Promise<void> {
  const ctx = new TickContext(store, now);
  for (const job of jobs) c.park(ctx, job, job.attempt - 1, 'network error: Failed to fetch');
  await store.commit(ctx.tick.batch());
}

async function release(c: Connectivity, store: MemoryStore, now: number): Promise<TickContext> {
  const ctx = new TickContext(store, now);
  await c.releaseParked(ctx);
  await store.commit(ctx.tick.batch());
  return ctx;
}

describe('Connectivity', () => {
  it('is online by default', () => {
    expect(new Connectivity(RETRY_MS).isOnline(0)).toBe(true);
  });

  it('is offline once told so, however long, until told it is back', () => {
    const c = new Connectivity(RETRY_MS);
    c.set(false);
    expect(c.isOnline(0)).toBe(false);
    expect(c.isOnline(1e12)).toBe(false);
    c.answered();
    expect(c.isOnline(1e12)).toBe(false);
    c.set(true);
    expect(c.isOnline(0)).toBe(true);
  });

  it('stays online after one network error', () => {
    const c = new Connectivity(RETRY_MS);
    c.networkError(1000);
    expect(c.isOnline(1000)).toBe(true);
  });

  it('goes offline for offlineRetryMs after a second network error in a row', () => {
    const c = new Connectivity(RETRY_MS);
    c.networkError(1000);
    c.networkError(1500);
    expect(c.isOnline(1500)).toBe(false);
    expect(c.isOnline(1500 + RETRY_MS - 1)).toBe(false);
    expect(c.isOnline(1500 + RETRY_MS)).toBe(true);
  });

  it('starts the count again when a network job gets an answer between errors', () => {
    const c = new Connectivity(RETRY_MS);
    c.networkError(1000);
    c.answered();
    c.networkError(1500);
    expect(c.isOnline(1500)).toBe(true);
  });

  it('is back online at once when told so after network errors', () => {
    const c = new Connectivity(RETRY_MS);
    c.networkError(1000);
    c.networkError(1000);
    c.set(true);
    expect(c.isOnline(1000)).toBe(true);
    c.networkError(1200);
    expect(c.isOnline(1200)).toBe(true);
  });

  it('parks a job as scheduled for offlineRetryMs later, with the attempt given and cause offline', async () => {
    const job = running();
    const store = await storeWith([job]);
    const c = new Connectivity(RETRY_MS);
    const ctx = new TickContext(store, 10_000);
    c.park(ctx, job, 1, 'network error: Failed to fetch');
    const parked = ctx.tick.peek(job.id)!;
    const cause = { code: 'offline', message: 'parked: network error: Failed to fetch' };
    expect(parked).toMatchObject({ state: JobState.scheduled, runAtMs: 15_000, dueAtMs: 15_000, rank: null, attempt: 1, version: job.version + 1 });
    expect(parked.history.at(-1)).toEqual({ from: JobState.running, to: JobState.scheduled, atMs: 10_000, attempt: 1, cause });
    expect(ctx.fx.transitions).toEqual([{ record: parked, from: JobState.running, cause }]);
    await store.commit(ctx.tick.batch());
    expect(await store.get(job.id)).toEqual(parked);
  });

  it('parks a ready job that may not start while offline, keeping its attempt', () => {
    const job = sampleRecord({ network: true, attempt: 0 });
    const ctx = new TickContext(new MemoryStore(), 2000);
    new Connectivity(RETRY_MS).park(ctx, job, job.attempt, 'offline');
    expect(ctx.tick.peek(job.id)).toMatchObject({ state: JobState.scheduled, runAtMs: 7000, attempt: 0, rank: null });
  });

  it('releases nothing until told it is back online', async () => {
    const job = running();
    const store = await storeWith([job]);
    const c = new Connectivity(RETRY_MS);
    await parkAll(c, store, [job], 10_000);
    const ctx = await release(c, store, 11_000);
    expect(ctx.fx.transitions).toEqual([]);
    expect((await store.get(job.id))!.state).toBe(JobState.scheduled);
  });

  it('makes parked jobs ready when back online, ranked from now', async () => {
    const [one, two] = [running({ priority: 1 }), running({ priority: 3 })];
    const store = await storeWith([one!, two!]);
    const c = new Connectivity(RETRY_MS);
    c.set(false);
    await parkAll(c, store, [one!, two!], 10_000);
    c.set(true);
    const ctx = await release(c, store, 12_000);
    const online = { code: 'online', message: 'back online' };
    expect(ctx.fx.transitions.map((t) => [t.record.id, t.from, t.record.state, t.cause])).toEqual([
      [one!.id, JobState.scheduled, JobState.ready, online],
      [two!.id, JobState.scheduled, JobState.ready, online],
    ]);
    expect(await store.get(one!.id)).toMatchObject({ state: JobState.ready, readyAtMs: 12_000, rank: 12_000, attempt: 1 });
    expect(await store.get(two!.id)).toMatchObject({ state: JobState.ready, rank: 12_000 });
  });

  it('leaves a parked job that is no longer scheduled, and scheduled jobs it did not park', async () => {
    const [parked, other] = [running(), sampleRecord({ state: JobState.scheduled, rank: null, runAtMs: 60_000, dueAtMs: 60_000 })];
    const store = await storeWith([parked, other]);
    const c = new Connectivity(RETRY_MS);
    await parkAll(c, store, [parked], 10_000);
    const stored = (await store.get(parked.id))!;
    const cancelled = transition(stored, JobState.cancelled, 11_000, { code: 'cancelled' }, { rank: null, finishedAtMs: 11_000 });
    await store.commit({ ...emptyBatch(), jobs: [{ record: cancelled, expectedVersion: stored.version, expectedState: stored.state }] });
    c.set(true);
    const ctx = await release(c, store, 12_000);
    expect(ctx.fx.transitions).toEqual([]);
    expect((await store.get(parked.id))!.state).toBe(JobState.cancelled);
    expect(await store.get(other.id)).toEqual(other);
  });

  it('releases parked jobs once per return online', async () => {
    const job = running();
    const store = await storeWith([job]);
    const c = new Connectivity(RETRY_MS);
    await parkAll(c, store, [job], 10_000);
    c.set(true);
    expect((await release(c, store, 11_000)).fx.transitions).toHaveLength(1);
    // Deferred again (a breaker, say): not the parking's business any more.
    const ready = (await store.get(job.id))!;
    const deferred = transition(ready, JobState.scheduled, 11_500, { code: 'breaker-open' }, { rank: null, runAtMs: 40_000 });
    await store.commit({ ...emptyBatch(), jobs: [{ record: deferred, expectedVersion: ready.version, expectedState: ready.state }] });
    expect((await release(c, store, 12_000)).fx.transitions).toEqual([]);
    expect((await store.get(job.id))!.state).toBe(JobState.scheduled);
  });

  // Found by this test: a job that left its parking by time used to be released again on the next
  // "online", out of whatever `scheduled` it was in by then (a retry backoff, a breaker deferral).
  it('does not release a job that left its parking by time and was scheduled since for a retry backoff', async () => {
    const job = running();
    const store = await storeWith([job]);
    const c = new Connectivity(RETRY_MS);
    c.networkError(10_000); // one error parks only its own job; the scheduler stays online
    await parkAll(c, store, [job], 10_000);
    // The parking ends by time; the job runs again and fails, and waits 60 s to retry.
    const parked = (await store.get(job.id))!;
    const due = transition(parked, JobState.ready, 15_000, { code: 'due' }, readyPatch(15_000));
    const again = transition(due, JobState.running, 15_000, { code: 'claimed' }, { rank: null, attempt: 2, dueAtMs: 45_000 });
    const retry = transition(again, JobState.scheduled, 16_000, { code: 'retry' }, { rank: null, runAtMs: 76_000 });
    await store.commit({ ...emptyBatch(), jobs: [{ record: retry, expectedVersion: parked.version, expectedState: parked.state }] });
    c.set(false);
    c.set(true); // the browser's offline/online events, minutes later
    await release(c, store, 20_000);
    expect(await store.get(job.id)).toMatchObject({ state: JobState.scheduled, runAtMs: 76_000 });
  });
});
