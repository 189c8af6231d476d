import { StoreConflictError } from '../../errors.ts';
import { JobState, type JobRecord } from '../../job.ts';
import { emptyBatch, type Store, type StoreBatch } from '../../store.ts';
import { deepEqual, equal, ok, rejects } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { sampleRecord } from './sample-record.ts';

function batch(parts: Partial<StoreBatch>): StoreBatch {
  return { ...emptyBatch(), ...parts };
}

function insert(...records: JobRecord[]): StoreBatch {
  return batch({ jobs: records.map((record) => ({ record, expectedVersion: null, expectedState: null })) });
}

function bump(record: JobRecord, patch: Partial<JobRecord>): { record: JobRecord; expectedVersion: number; expectedState: JobState } {
  return { record: { ...record, ...patch, version: record.version + 1 }, expectedVersion: record.version, expectedState: record.state };
}

/**
 * The `Store` contract, checked directly: atomic batches, version checks,
 * and every index the scheduler relies on.
 */
export function storeContract(harness: StoreHarness): ConformanceGroup {
  const withStore = (name: string, fn: (store: Store) => Promise<void>): ConformanceCase => ({
    name,
    run: async () => {
      const store = await harness.open();
      try {
        await fn(store);
      } finally {
        await harness.close?.(store);
      }
    },
  });

  const cases: ConformanceCase[] = [
    withStore('stores records and returns them unchanged', async (store) => {
      const a = sampleRecord({
        trace: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
        tags: ['x', 'y'],
        result: { deep: [{ a: 1 }] },
      });
      const b = sampleRecord();
      await store.commit(insert(a, b));
      deepEqual(await store.get(a.id), a, 'get returns the stored record');
      deepEqual(await store.getMany([b.id, 'missing', a.id]), [b, undefined, a], 'getMany keeps order and marks missing ids');
      equal(await store.get('missing'), undefined, 'get of an unknown id');
    }),

    withStore('refuses a stale write and applies nothing of its batch', async (store) => {
      const a = sampleRecord();
      const b = sampleRecord();
      await store.commit(insert(a));
      const fresh = sampleRecord();
      const error = await rejects(
        store.commit(
          batch({
            jobs: [
              { record: fresh, expectedVersion: null, expectedState: null },
              { ...bump(a, { state: JobState.running }), expectedVersion: 7 },
            ],
          }),
        ),
        'store-conflict',
        'stale version',
      );
      ok(error instanceof StoreConflictError || (error as { code?: string }).code === 'store-conflict', 'a StoreConflictError');
      equal(await store.get(fresh.id), undefined, 'the insert in the refused batch was not applied');
      deepEqual(await store.get(a.id), a, 'the record is unchanged');
      await rejects(store.commit(insert(a)), 'store-conflict', 'inserting an existing id');
      await store.commit(batch({ jobs: [bump(a, { priority: 3 })], idempotency: [{ key: 'k', jobId: b.id, fingerprint: 'f', expiresAtMs: 5 }] }));
      equal((await store.get(a.id))?.version, 2, 'a write with the right version applies');
      equal((await store.claimable({ queue: 'default', priority: 3, key: null, after: false }, 10))[0]?.id, a.id, 'its new priority class serves it');
      deepEqual((await store.counts()).ready.slice(2, 4), [0, 1], 'and counts it');
    }),

    withStore('refuses a whole batch of many writes for one stale write among them', async (store) => {
      // More rows than one statement or request takes, in stores that group them: the stale one in the middle.
      const many = Array.from({ length: 40 }, () => sampleRecord());
      await store.commit(insert(...many));
      const fresh = Array.from({ length: 40 }, () => sampleRecord());
      const writes = many.map((r, i) => ({ ...bump(r, { state: JobState.running, rank: null, dueAtMs: 99 }), ...(i === 23 ? { expectedVersion: 5 } : {}) }));
      await rejects(store.commit(batch({ jobs: [...insert(...fresh).jobs, ...writes] })), 'store-conflict', 'one stale version among 40');
      deepEqual(await store.getMany(many.map((r) => r.id)), many, 'no update of the batch was applied');
      deepEqual(
        await store.getMany(fresh.map((r) => r.id)),
        fresh.map(() => undefined),
        'no insert of the batch was applied',
      );
      await rejects(store.commit(insert(sampleRecord(), many[31]!)), 'store-conflict', 'an existing id among new ones');
      await store.commit(batch({ jobs: [...insert(...fresh).jobs, ...writes.map((w) => ({ ...w, expectedVersion: w.record.version - 1 }))] }));
      deepEqual(
        (await store.getMany(many.map((r) => r.id))).map((r) => r?.state),
        many.map(() => JobState.running),
        'the same batch with the right versions applies whole',
      );
      equal((await store.claimable({ queue: 'default', priority: 2, key: null, after: false }, 100)).length, fresh.length, 'and the indexes follow it');
      // Versions a batch relies on without writing them.
      const extra = sampleRecord();
      await rejects(
        store.commit(batch({ jobs: insert(extra).jobs, checks: [{ id: fresh[0]!.id, version: fresh[0]!.version + 1 }] })),
        'store-conflict',
        'a stale check',
      );
      await rejects(store.commit(batch({ jobs: insert(extra).jobs, checks: [{ id: 'missing', version: 1 }] })), 'store-conflict', 'a check of a missing job');
      equal(await store.get(extra.id), undefined, 'a refused check applies nothing of its batch');
      await store.commit(batch({ jobs: insert(extra).jobs, checks: fresh.map((r) => ({ id: r.id, version: r.version })) }));
      equal((await store.get(extra.id))?.id, extra.id, 'checks that hold let the batch apply');
    }),

    withStore('serves ready jobs per queue and priority class in (fairness key, rank, id) order', async (store) => {
      const from = (key: string | null, after = false, queue = 'default', priority = 2) => ({ queue, priority, key, after });
      const ids = async (range: ReturnType<typeof from>, limit = 10) => (await store.claimable(range, limit)).map((r) => r.id);
      const late = sampleRecord({ rank: 500 });
      const early = sampleRecord({ rank: -100 });
      const tieA = sampleRecord({ rank: 200 });
      const tieB = sampleRecord({ rank: 200 });
      const other = sampleRecord({ rank: -1000, queue: 'other' });
      const urgent = sampleRecord({ rank: 900, priority: 4 });
      const notReady = sampleRecord({ state: JobState.scheduled, rank: null, dueAtMs: 10 });
      // Fairness keys sort after the key of jobs without one (''), in string order; within a key by rank.
      const bob = sampleRecord({ rank: -5000, fairnessKey: 'bob' });
      const alice2 = sampleRecord({ rank: 300, fairnessKey: 'alice' });
      const alice1 = sampleRecord({ rank: 100, fairnessKey: 'alice' });
      // A record stored before fairness keys existed has no field at all: it counts as ''.
      const { fairnessKey: _, ...legacy } = sampleRecord({ rank: 250 });
      await store.commit(insert(late, tieB, other, early, tieA, urgent, notReady, bob, alice2, alice1, legacy as JobRecord));
      const unkeyed = [early.id, tieA.id, tieB.id, legacy.id, late.id];
      deepEqual(await ids(from(null)), [...unkeyed, alice1.id, alice2.id, bob.id], 'claim order of the class');
      deepEqual(await ids(from(null), 2), [early.id, tieA.id], 'limit');
      deepEqual(await ids(from('')), [...unkeyed, alice1.id, alice2.id, bob.id], "from the key '' on");
      deepEqual(await ids(from('', true)), [alice1.id, alice2.id, bob.id], "after the key ''");
      deepEqual(await ids(from('alice')), [alice1.id, alice2.id, bob.id], 'from a key on');
      deepEqual(await ids(from('alice', true)), [bob.id], 'after a key');
      deepEqual(await ids(from('al')), [alice1.id, alice2.id, bob.id], 'from a key no job has');
      deepEqual(await ids(from('bob', true)), [], 'after the last key');
      deepEqual(await ids(from(null, false, 'default', 4)), [urgent.id], 'priority classes are separate');
      const heads = async (key: string | null, after: boolean, perKey: number, limit = 10) =>
        (await store.claimable({ queue: 'default', priority: 2, key, after, perKey }, limit)).map((r) => r.id);
      deepEqual(await heads(null, false, 1), [early.id, alice1.id, bob.id], 'the first job of each key (perKey)');
      deepEqual(await heads(null, false, 2), [early.id, tieA.id, alice1.id, alice2.id, bob.id], 'the first two of each key');
      deepEqual(await heads('', true, 1), [alice1.id, bob.id], 'heads after a key');
      deepEqual(await heads('alice', false, 1), [alice1.id, bob.id], 'heads from a key on');
      deepEqual(await heads(null, false, 1, 2), [early.id, alice1.id], 'heads up to the limit');
      deepEqual(await ids(from(null, false, 'default', 0)), [], 'an empty class');
      deepEqual(await ids(from(null, false, 'other')), [other.id], 'queues are separate');
      deepEqual(await ids(from(null, false, 'none')), [], 'unknown queue');
      await store.commit(batch({ jobs: [bump(early, { state: JobState.running, rank: null, dueAtMs: 99 })] }));
      deepEqual(await ids(from(null), 1), [tieA.id], 'a claimed job leaves the claim order');
      await store.commit(
        batch({
          jobs: [bump(alice1, { state: JobState.running, rank: null, dueAtMs: 99 }), bump(alice2, { state: JobState.running, rank: null, dueAtMs: 99 })],
        }),
      );
      deepEqual(await ids(from('', true)), [bob.id], 'a key with no ready job left is passed');
    }),

    withStore('serves due timers earliest first', async (store) => {
      const a = sampleRecord({ state: JobState.scheduled, rank: null, dueAtMs: 300 });
      const b = sampleRecord({ state: JobState.running, rank: null, dueAtMs: 100 });
      const c = sampleRecord({ state: JobState.scheduled, rank: null, dueAtMs: 900 });
      await store.commit(insert(a, b, c, sampleRecord()));
      equal(await store.nextDueAtMs(), 100, 'nextDueAtMs is the earliest');
      deepEqual(
        (await store.due(300, 10)).map((r) => r.id),
        [b.id, a.id],
        'due up to now, in order',
      );
      deepEqual(
        (await store.due(1000, 1)).map((r) => r.id),
        [b.id],
        'limit',
      );
      await store.commit(batch({ jobs: [bump(b, { state: JobState.succeeded, dueAtMs: null })] }));
      equal(await store.nextDueAtMs(), 300, 'a cleared timer leaves the index');
      await store.commit(
        batch({ jobs: [bump(a, { state: JobState.ready, dueAtMs: null, rank: 300 }), bump(c, { state: JobState.ready, dueAtMs: null, rank: 900 })] }),
      );
      equal(await store.nextDueAtMs(), null, 'no timers left');
    }),

    withStore('finds waiting jobs by what they wait on', async (store) => {
      const dep = sampleRecord();
      const prev = sampleRecord({ key: 'k' });
      const w1 = sampleRecord({ state: JobState.waiting, rank: null, dependsOn: [dep.id] });
      const w2 = sampleRecord({ state: JobState.waiting, rank: null, key: 'k', after: prev.id, dependsOn: [dep.id] });
      await store.commit(insert(dep, prev, w1, w2));
      deepEqual((await store.waitingOn(dep.id)).map((r) => r.id).sort(), [w1.id, w2.id].sort(), 'by dependsOn');
      deepEqual(
        (await store.waitingOn(prev.id)).map((r) => r.id),
        [w2.id],
        'by after',
      );
      await store.commit(batch({ jobs: [bump(w1, { state: JobState.ready, rank: 5 })] }));
      deepEqual(
        (await store.waitingOn(dep.id)).map((r) => r.id),
        [w2.id],
        'a job that left waiting is not returned',
      );
    }),

    withStore('moves a waiting job that now waits for another job to that job in waitingOn', async (store) => {
      const first = sampleRecord({ key: 'k' });
      const second = sampleRecord({ key: 'k', state: JobState.waiting, rank: null, after: first.id });
      const third = sampleRecord({ key: 'k', state: JobState.waiting, rank: null, after: second.id });
      await store.commit(insert(first, second, third));
      // The second is cancelled while waiting: the third waits for the first now, still `waiting`.
      await store.commit(batch({ jobs: [bump(second, { state: JobState.cancelled }), bump(third, { after: first.id })] }));
      deepEqual(
        (await store.waitingOn(first.id)).map((r) => r.id),
        [third.id],
        'found by its new blocker',
      );
      deepEqual(await store.waitingOn(second.id), [], 'and no longer by its old one');
    }),

    withStore('finds the last job of an ordering key', async (store) => {
      const a = sampleRecord({ key: 'user-1' });
      const b = sampleRecord({ key: 'user-1' });
      const c = sampleRecord({ key: 'user-2' });
      await store.commit(insert(a, b, c));
      equal((await store.lastWithKey('user-1'))?.id, b.id, 'the greatest id');
      equal(await store.lastWithKey('nobody'), undefined, 'unknown key');
    }),

    withStore('keeps idempotency keys, steps and meta', async (store) => {
      const job = sampleRecord();
      await store.commit(
        batch({
          jobs: [{ record: job, expectedVersion: null, expectedState: null }],
          idempotency: [{ key: 'order-1', jobId: job.id, fingerprint: 'abc', expiresAtMs: 5000 }],
          steps: [
            { jobId: job.id, name: 'charge', result: { id: 'ch_1' }, attempt: 1, atMs: 10 },
            { jobId: job.id, name: 'email', result: null, attempt: 1, atMs: 11 },
          ],
          meta: [{ name: 'breaker:api', value: { state: 'open', until: 99 } }],
        }),
      );
      deepEqual(await store.idempotency('order-1'), { key: 'order-1', jobId: job.id, fingerprint: 'abc', expiresAtMs: 5000 }, 'idempotency record');
      deepEqual(
        (await store.steps(job.id)).map((s) => [s.name, s.result]).sort(),
        [
          ['charge', { id: 'ch_1' }],
          ['email', null],
        ],
        'steps',
      );
      deepEqual(await store.getMeta('breaker:api'), { state: 'open', until: 99 }, 'meta');
      equal(await store.getMeta('nothing'), undefined, 'unknown meta');
      await store.commit(batch({ idempotencyDeletes: ['order-1'], deletes: [job.id] }));
      equal(await store.idempotency('order-1'), undefined, 'idempotency key deleted');
      equal(await store.get(job.id), undefined, 'job deleted');
      deepEqual(await store.steps(job.id), [], 'its steps went with it');
    }),

    withStore('lists with filters and cursor pagination', async (store) => {
      const records = Array.from({ length: 7 }, (_, i) =>
        sampleRecord({
          type: i % 2 === 0 ? 'even' : 'odd',
          queue: i < 5 ? 'default' : 'other',
          state: i === 3 ? JobState.failed : JobState.ready,
          rank: i === 3 ? null : i,
        }),
      );
      await store.commit(insert(...records));
      const page1 = await store.list({ limit: 3 });
      deepEqual(
        page1.jobs.map((r) => r.id),
        records.slice(0, 3).map((r) => r.id),
        'first page in id order',
      );
      ok(page1.cursor !== null, 'a cursor for the next page');
      const page2 = await store.list({ limit: 3, cursor: page1.cursor });
      const page3 = await store.list({ limit: 3, cursor: page2.cursor! });
      deepEqual(
        [...page2.jobs, ...page3.jobs].map((r) => r.id),
        records.slice(3).map((r) => r.id),
        'later pages',
      );
      equal(page3.cursor, null, 'no cursor after the last page');
      deepEqual(
        (await store.list({ type: 'odd' })).jobs.map((r) => r.id),
        [records[1]!.id, records[3]!.id, records[5]!.id],
        'by type',
      );
      deepEqual(
        (await store.list({ state: JobState.failed })).jobs.map((r) => r.id),
        [records[3]!.id],
        'by state',
      );
      deepEqual(
        (await store.list({ queue: 'other', type: 'even' })).jobs.map((r) => r.id),
        [records[6]!.id],
        'by queue and type',
      );
    }),

    withStore('lists newest first, with filters and cursor pagination', async (store) => {
      const records = Array.from({ length: 7 }, (_, i) =>
        sampleRecord({ state: i % 3 === 0 ? JobState.failed : JobState.ready, rank: i % 3 === 0 ? null : i, type: i < 4 ? 'a' : 'b' }),
      );
      await store.commit(insert(...records));
      const newest = [...records].reverse();
      const page1 = await store.list({ limit: 3, order: 'desc' });
      deepEqual(
        page1.jobs.map((r) => r.id),
        newest.slice(0, 3).map((r) => r.id),
        'first page, newest first',
      );
      const page2 = await store.list({ limit: 3, order: 'desc', cursor: page1.cursor! });
      const page3 = await store.list({ limit: 3, order: 'desc', cursor: page2.cursor! });
      deepEqual(
        [...page2.jobs, ...page3.jobs].map((r) => r.id),
        newest.slice(3).map((r) => r.id),
        'later pages',
      );
      equal(page3.cursor, null, 'no cursor after the last page');
      const failed = await store.list({ state: JobState.failed, order: 'desc', limit: 2 });
      deepEqual(
        failed.jobs.map((r) => r.id),
        [records[6]!.id, records[3]!.id],
        'by state, newest first',
      );
      deepEqual(
        (await store.list({ state: JobState.failed, order: 'desc', cursor: failed.cursor! })).jobs.map((r) => r.id),
        [records[0]!.id],
        'and on',
      );
      deepEqual(
        (await store.list({ type: 'a', order: 'desc' })).jobs.map((r) => r.id),
        records
          .slice(0, 4)
          .reverse()
          .map((r) => r.id),
        'by type',
      );
    }),

    withStore('counts jobs by state and priority', async (store) => {
      const a = sampleRecord({ priority: 0 });
      await store.commit(insert(a, sampleRecord({ priority: 4 }), sampleRecord({ priority: 4, state: JobState.failed, rank: null })));
      await store.commit(batch({ jobs: [bump(a, { state: JobState.running, rank: null, dueAtMs: 5 })] }));
      const counts = await store.counts();
      deepEqual(counts.ready, [0, 0, 0, 0, 1], 'ready by priority');
      deepEqual(counts.running, [1, 0, 0, 0, 0], 'running by priority');
      deepEqual(counts.failed, [0, 0, 0, 0, 1], 'failed by priority');
      deepEqual(counts.succeeded, [0, 0, 0, 0, 0], 'no succeeded');
    }),

    {
      name: 'keeps everything across a reopen',
      run: async () => {
        const first = await harness.open();
        const a = sampleRecord({ state: JobState.running, rank: null, dueAtMs: 42 });
        await first.commit(
          batch({ jobs: [{ record: a, expectedVersion: null, expectedState: null }], steps: [{ jobId: a.id, name: 's', result: 1, attempt: 1, atMs: 1 }] }),
        );
        const second = await harness.reopen(first);
        if (second !== first) await harness.close?.(first);
        try {
          deepEqual(await second.get(a.id), a, 'the record');
          equal(await second.nextDueAtMs(), 42, 'its timer');
          equal((await second.steps(a.id)).length, 1, 'its steps');
        } finally {
          await harness.close?.(second);
        }
      },
    },
  ];
  return { name: 'store contract', cases };
}
