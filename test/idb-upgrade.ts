import { IdbStore, SCHEMA_VERSION } from '@baton/browser';
import { createRandom, createScheduler, createTimerClock, MemoryStore, type JobRecord } from '@baton/core';
import { expect } from 'vitest';

/** Opens `name` at version 1 with the schema exactly as release 0.1 created it, and fills it. */
async function writeVersion1(name: string, records: { job: JobRecord; step: object; idempotency: object }): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open(name, 1);
    open.onupgradeneeded = () => {
      const d = open.result;
      const jobs = d.createObjectStore('jobs', { keyPath: 'id' });
      jobs.createIndex('claim', ['queue', 'rank', 'id']);
      jobs.createIndex('due', ['dueAtMs', 'id']);
      jobs.createIndex('key', ['key', 'id']);
      jobs.createIndex('state', ['state', 'id']);
      jobs.createIndex('counts', ['state', 'priority']);
      jobs.createIndex('blockers', '_blockers', { multiEntry: true });
      d.createObjectStore('idempotency', { keyPath: 'key' });
      d.createObjectStore('steps', { keyPath: ['jobId', 'name'] }).createIndex('job', 'jobId');
      d.createObjectStore('meta', { keyPath: 'name' });
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const tx = db.transaction(['jobs', 'steps', 'idempotency'], 'readwrite');
  tx.objectStore('jobs').put(records.job);
  tx.objectStore('steps').put(records.step);
  tx.objectStore('idempotency').put(records.idempotency);
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}

const clock = () => createTimerClock({ now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as never) });

/**
 * A database written by the first schema opens under the current one: the
 * upgrade runs, and its job, step and idempotency key are all still there
 * and usable. Shared by the Node (fake-indexeddb) and Chromium suites.
 */
export async function opensAVersion1Database(name: string): Promise<void> {
  // A job as v1 stored it, made by the scheduler itself on memory: ready (the one slot is taken), with one step done.
  const memory = new MemoryStore();
  const seed = createScheduler({
    store: memory,
    clock: clock(),
    random: createRandom(Math.random),
    queues: { default: { concurrency: 1 } },
    handlers: {
      hold: (_p: null, ctx) => new Promise<null>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
      ship: async (_p: { order: string }) => null,
    },
  });
  seed.start();
  await seed.submit({ type: 'hold', payload: null });
  const { job } = await seed.submit({ type: 'ship', payload: { order: 'o-1' }, idempotencyKey: 'ship-o-1' });
  expect(job.state).toBe('ready');
  await seed.stop({ abort: true });
  const step = { jobId: job.id, name: 'label', result: 'LBL-1', attempt: 1, atMs: Date.now() };
  // Records of 0.1 and 0.2 have no fairness key.
  const { fairnessKey: _, ...v1 } = job as JobRecord & { fairnessKey?: unknown };
  await writeVersion1(name, { job: v1 as JobRecord, step, idempotency: (await memory.idempotency('ship-o-1'))! });

  const store = await IdbStore.open({ name, exclusive: true });
  const raw = await new Promise<IDBDatabase>((resolve) => {
    const open = indexedDB.open(name);
    open.onsuccess = () => resolve(open.result);
  });
  expect(raw.version).toBe(SCHEMA_VERSION);
  expect(SCHEMA_VERSION).toBe(3);
  expect([...raw.transaction('steps').objectStore('steps').indexNames]).toEqual([]); // v2 dropped it
  expect([...raw.transaction('jobs').objectStore('jobs').indexNames].sort()).toEqual(['blockers', 'counts', 'due', 'fair', 'key', 'state']); // v3: `fair` for `claim`
  raw.close();
  expect(await store.get(job.id)).toEqual(v1);
  expect(await store.steps(job.id)).toEqual([step]);
  expect((await store.idempotency('ship-o-1'))?.jobId).toBe(job.id);
  expect((await store.claimable({ queue: 'default', priority: job.priority, key: null, after: false }, 10)).map((j) => j.id)).toEqual([job.id]);
  expect((await store.claimable({ queue: 'default', priority: job.priority, key: '', after: true }, 10)).map((j) => j.id)).toEqual([]);

  // And a scheduler on it finishes the job, reusing the step recorded before the upgrade.
  let labelled = 0;
  const scheduler = createScheduler({
    store,
    clock: clock(),
    random: createRandom(Math.random),
    handlers: {
      ship: async (_p: { order: string }, ctx) => `shipped with ${await ctx.step('label', () => `LBL-${++labelled}`)}`,
    },
  });
  scheduler.start();
  const done = await scheduler.waitFor(job.id);
  expect(done.state).toBe('succeeded');
  expect(done.fairnessKey).toBe(null);
  expect(done.result).toBe('shipped with LBL-1');
  expect(labelled).toBe(0);
  const again = await scheduler.submit({ type: 'ship', payload: { order: 'o-1' }, idempotencyKey: 'ship-o-1' });
  expect(again).toMatchObject({ deduplicated: true, job: { id: job.id } });
  await scheduler.stop();
  store.close();
}
