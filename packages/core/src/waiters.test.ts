import { describe, expect, it } from 'vitest';
import { ErrorCode, UnknownJobError } from './errors.ts';
import { type JobRecord, JobState } from './job.ts';
import { MemoryStore } from './memory-store.ts';
import { terminalPatch, transition } from './records.ts';
import { emptyBatch } from './store.ts';
import { sampleRecord } from './testing/conformance/sample-record.ts';
import { Waiters } from './waiters.ts';

const running = () => sampleRecord({ state: JobState.running, rank: null, attempt: 1, startedAtMs: 1000, dueAtMs: 31_000 });
const finish = (job: JobRecord, to: JobState = JobState.succeeded) => transition(job, to, 2000, { code: 'completed' }, terminalPatch(2000, { result: 42 }));

async function storeWith(records: readonly JobRecord[]): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.commit({ ...emptyBatch(), jobs: records.map((record) => ({ record, expectedVersion: null, expectedState: null })) });
  return store;
}

async function save(store: MemoryStore, next: JobRecord, base: JobRecord): Promise<void> {
  await store.commit({ ...emptyBatch(), jobs: [{ record: next, expectedVersion: base.version, expectedState: base.state }] });
}

/** Whether `promise` has settled once every pending microtask has run (no timers). */
async function state(promise: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  let s: 'pending' | 'resolved' | 'rejected' = 'pending';
  promise.then(
    () => {
      s = 'resolved';
    },
    () => {
      s = 'rejected';
    },
  );
  for (let i = 0; i < 20; i++) await Promise.resolve();
  return s;
}

describe('Waiters', () => {
  it('resolves a caller with the record once its job is settled as finished', async () => {
    const job = running();
    const store = await storeWith([job]);
    const waiters = new Waiters();
    const waiting = waiters.wait(store, job.id);
    expect(await state(waiting)).toBe('pending');
    const done = finish(job);
    await save(store, done, job);
    waiters.settled(done);
    await expect(waiting).resolves.toBe(done);
  });

  it('resolves for failed and cancelled jobs too', async () => {
    for (const to of [JobState.failed, JobState.cancelled]) {
      const job = running();
      const waiters = new Waiters();
      const waiting = waiters.wait(await storeWith([job]), job.id);
      const done = finish(job, to);
      waiters.settled(done);
      await expect(waiting).resolves.toBe(done);
    }
  });

  it('ignores records that are not terminal', async () => {
    const job = running();
    const waiters = new Waiters();
    const waiting = waiters.wait(await storeWith([job]), job.id);
    const retry = transition(job, JobState.scheduled, 1500, { code: 'retry' }, { rank: null, runAtMs: 2500 });
    waiters.settled(retry);
    expect(await state(waiting)).toBe('pending');
    const done = finish(job);
    waiters.settled(done);
    await expect(waiting).resolves.toBe(done);
  });

  it('ignores finished records of jobs nobody waits for', async () => {
    const [job, other] = [running(), running()];
    const waiters = new Waiters();
    const waiting = waiters.wait(await storeWith([job, other]), job.id);
    waiters.settled(finish(other));
    expect(await state(waiting)).toBe('pending');
  });

  it('rejects with unknown-job for an id the store does not have', async () => {
    const waiters = new Waiters();
    const error = await waiters.wait(new MemoryStore(), '01JOBMISSING').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownJobError);
    expect(error).toMatchObject({ code: ErrorCode.unknownJob, jobId: '01JOBMISSING' });
  });

  it('returns at once for a job already finished', async () => {
    const job = running();
    const done = finish(job);
    const store = await storeWith([job]);
    await save(store, done, job);
    await expect(new Waiters().wait(store, job.id)).resolves.toEqual(done);
  });

  it('resolves every caller waiting on the same job', async () => {
    const job = running();
    const store = await storeWith([job]);
    const waiters = new Waiters();
    const [first, second] = [waiters.wait(store, job.id), waiters.wait(store, job.id)];
    expect(await state(first)).toBe('pending');
    const done = finish(job);
    waiters.settled(done);
    await expect(Promise.all([first, second])).resolves.toEqual([done, done]);
  });

  it('still answers a waiting caller when another finds the job already finished in the store', async () => {
    const job = running();
    const store = await storeWith([job]);
    const waiters = new Waiters();
    const first = waiters.wait(store, job.id);
    expect(await state(first)).toBe('pending');
    // The tick that finishes the job has committed, but not yet published.
    const done = finish(job);
    await save(store, done, job);
    await expect(waiters.wait(store, job.id)).resolves.toEqual(done);
    expect(await state(first)).toBe('pending');
    waiters.settled(done);
    expect(await state(first)).toBe('resolved'); // fails fast rather than hanging when its registration was lost
    await expect(first).resolves.toBe(done);
  });

  it('still answers a waiting caller when another asked for a job that does not exist yet', async () => {
    const job = running();
    const waiters = new Waiters();
    const store = new MemoryStore();
    const early = await waiters.wait(store, job.id).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(UnknownJobError);
    await store.commit({ ...emptyBatch(), jobs: [{ record: job, expectedVersion: null, expectedState: null }] });
    const waiting = waiters.wait(store, job.id);
    expect(await state(waiting)).toBe('pending');
    const done = finish(job);
    waiters.settled(done);
    await expect(waiting).resolves.toBe(done);
  });

  it('answers a caller whose job finishes while its own read is under way', async () => {
    const job = running();
    const waiters = new Waiters();
    const done = finish(job);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const store = await storeWith([job]);
    const slow = Object.assign(Object.create(store) as MemoryStore, {
      get: async (id: string) => {
        const seen = await store.get(id);
        await gate;
        return seen;
      },
    });
    const waiting = waiters.wait(slow, job.id);
    await save(store, done, job);
    waiters.settled(done);
    release();
    await expect(waiting).resolves.toBe(done);
  });
});
