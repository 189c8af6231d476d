/**
 * Runs in Chromium (bench/retention-stores.ts drives it): no-op jobs through
 * one IndexedDB database with succeeded jobs deleted at once or kept under a
 * retention; rows and bytes sampled on a timer through a second connection.
 */
import { IdbStore } from '@baton/browser';
import { createScheduler, type ListQuery, type StoreBatch } from '@baton/core';
import { systemClock, systemRandom } from '@baton/core/system';
import { openDB } from 'idb';
import { Feed, type RetentionPage, type RunResult, type RunSettings, type Sample, variantOptions } from '../shared.ts';

async function usage(): Promise<number> {
  return (await navigator.storage.estimate()).usage ?? 0;
}

async function run(settings: RunSettings, sampleMs: number): Promise<RunResult> {
  const name = `retention-${settings.variant}-${Math.random()}`;
  const before = await usage();
  const store = await IdbStore.open({ name, exclusive: true });
  // A second connection for the samples: a count takes a read transaction between the scheduler's.
  const reader = await openDB(name);
  const cost = { lists: 0, listMs: 0, listMaxMs: 0, commits: 0, commitMs: 0, deletingCommits: 0, deletingCommitMs: 0, deletes: 0, samples: 0, sampleMs: 0 };
  const list = store.list.bind(store);
  store.list = async (query: ListQuery) => {
    const t = performance.now();
    const page = await list(query);
    const ms = performance.now() - t;
    cost.lists++;
    cost.listMs += ms;
    cost.listMaxMs = Math.max(cost.listMaxMs, ms);
    return page;
  };
  const commit = store.commit.bind(store);
  store.commit = async (batch: StoreBatch) => {
    const t = performance.now();
    await commit(batch);
    const ms = performance.now() - t;
    cost.commits++;
    cost.commitMs += ms;
    if (batch.deletes.length > 0) {
      cost.deletingCommits++;
      cost.deletingCommitMs += ms;
      cost.deletes += batch.deletes.length;
    }
  };

  let feed!: Feed;
  const scheduler = createScheduler({
    store,
    clock: systemClock(),
    random: systemRandom(),
    queues: { default: { concurrency: settings.concurrency } },
    ...variantOptions(settings),
    handlers: {
      noop: async (_payload: { i: number }) => {
        feed.done();
        return null;
      },
    },
  });
  feed = new Feed(settings, (inputs) => void scheduler.submitAll(inputs));

  const start = performance.now();
  const samples: Sample[] = [];
  const sample = async (): Promise<Sample> => {
    const atMs = performance.now() - start;
    const [jobs, keys, bytes] = await Promise.all([reader.count('jobs'), reader.count('idempotency'), usage()]);
    cost.samples++;
    cost.sampleMs += performance.now() - start - atMs;
    return { atMs, completed: feed.completed, jobs, keys, bytes: bytes - before };
  };
  let sampling = false;
  const timer = setInterval(() => {
    if (sampling) return;
    sampling = true;
    void sample()
      .then((s) => samples.push(s))
      .finally(() => (sampling = false));
  }, sampleMs);

  feed.fill();
  await feed.until(settings.jobs);
  await scheduler.whenIdle();
  const ms = performance.now() - start;
  clearInterval(timer);
  while (sampling) await new Promise((r) => setTimeout(r, 5));
  const last = await sample();
  const keysLeft = async (): Promise<{ expiredKeys: number; overdueKeys: number }> => {
    // Expired keys, and overdue ones: expired, and their job finished long enough ago to have been swept with them, or gone.
    const now = Date.now();
    let expiredKeys = 0;
    let overdueKeys = 0;
    const keys = (await reader.getAll('idempotency')) as Array<{ jobId: string; expiresAtMs: number }>;
    const owners = await Promise.all(keys.map((k) => reader.get('jobs', k.jobId) as Promise<{ finishedAtMs: number | null } | undefined>));
    keys.forEach((k, i) => {
      if (k.expiresAtMs > now) return;
      expiredKeys++;
      const finishedAtMs = owners[i]?.finishedAtMs ?? null;
      if (owners[i] === undefined || (finishedAtMs !== null && finishedAtMs + settings.retentionMs + 2 * settings.everyMs < now)) overdueKeys++;
    });
    return { expiredKeys, overdueKeys };
  };
  const end = { ...last, ...(await keysLeft()) };
  // Idle for a retention and two sweeps, then one job to wake the scheduler: what the sweep leaves.
  await new Promise((r) => setTimeout(r, settings.retentionMs + 2 * settings.everyMs + 50));
  await scheduler.submit({ type: 'noop', payload: { i: -1 } });
  await feed.until(settings.jobs + 1);
  await scheduler.whenIdle();
  const settled = { ...(await sample()), ...(await keysLeft()) };
  const swept = (await scheduler.metrics()).deleted;
  // On the never-swept database: a sweep's page read as IdbStore.list reads it (a cursor, a step per job)
  // against one getAll on the same index range.
  let listProbe: RunResult['listProbe'];
  if (settings.variant === 'unswept') {
    const pages = 20;
    let t = performance.now();
    for (let i = 0; i < pages; i++) await list({ state: 'succeeded', order: 'asc', limit: 100 });
    const cursorMs = (performance.now() - t) / pages;
    const range = IDBKeyRange.bound(['succeeded', ''], ['succeeded', '\uffff']);
    t = performance.now();
    for (let i = 0; i < pages; i++) await reader.getAllFromIndex('jobs', 'state', range, 101);
    const getAllMs = (performance.now() - t) / pages;
    listProbe = { rows: settled.jobs, pageOf: 100, cursorMs, getAllMs };
  }
  await scheduler.stop();
  reader.close();
  store.close();
  await new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
  return { variant: settings.variant, jobs: settings.jobs, ms, samples, end, settled, swept, cost, ...(listProbe === undefined ? {} : { listProbe }) };
}

/** Usage before and after writing `mb` MiB to a scratch database, and after deleting it: does `estimate()` see IndexedDB? */
async function probeUsage(mb: number): Promise<{ before: number; written: number; deleted: number }> {
  const name = `probe-${Math.random()}`;
  const before = await usage();
  const db = await openDB(name, 1, { upgrade: (d) => void d.createObjectStore('x') });
  const tx = db.transaction('x', 'readwrite');
  // Random bytes: LevelDB compresses its blocks, and a repeated string would shrink to nothing.
  for (let i = 0; i < mb * 1024; i++) void tx.store.put({ blob: crypto.getRandomValues(new Uint8Array(1024)), i }, i);
  await tx.done;
  const written = await usage();
  db.close();
  await new Promise<void>((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
  });
  return { before, written, deleted: await usage() };
}

Object.assign(window, { runRetention: run, probeUsage } satisfies RetentionPage);
