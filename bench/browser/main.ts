/**
 * Runs in Chromium (bench/browser.ts drives it): durable throughput against
 * raw IndexedDB and idb-keyval, and page → worker costs against raw
 * postMessage and one Comlink call per job.
 */
import { connect, IdbStore } from '@baton/browser';
import { createScheduler } from '@baton/core';
import { systemClock, systemRandom } from '@baton/core/system';
import { openDB } from 'idb';
import { createStore, set } from 'idb-keyval';
import { backlogRecords, type ClaimCost, fairPasses, insertBatch, oldPasses } from '../lib/claim-cost.ts';

const record = (i: number) => ({ id: `job-${i}`, type: 'noop', payload: { i, note: 'x'.repeat(200) }, state: 'ready', priority: 2 });
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)]!;

async function batonThroughput(n: number): Promise<number> {
  // Exclusive, as hostScheduler opens it: the Web Lock makes its worker the one writer.
  const store = await IdbStore.open({ name: `tp-${n}-${Math.random()}`, exclusive: true });
  let left = n;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const scheduler = createScheduler({
    store,
    clock: systemClock(),
    random: systemRandom(),
    queues: { default: { concurrency: 64 } },
    keepSucceeded: false,
    handlers: { noop: async (_p: { i: number; note: string }) => void (--left === 0 && done()) },
  });
  const start = performance.now();
  for (let i = 0; i < n; i += 1000)
    void scheduler.submitAll(Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({ type: 'noop' as const, payload: record(i + k).payload })));
  await finished;
  await scheduler.whenIdle();
  const ms = performance.now() - start;
  await scheduler.stop();
  store.close();
  return (n * 1000) / ms;
}

async function rawBulk(n: number): Promise<number> {
  const db = await openDB(`raw-${n}-${Math.random()}`, 1, { upgrade: (d) => void d.createObjectStore('jobs', { keyPath: 'id' }) });
  const start = performance.now();
  const tx = db.transaction('jobs', 'readwrite');
  for (let i = 0; i < n; i++) void tx.store.put(record(i));
  await tx.done;
  const ms = performance.now() - start;
  db.close();
  return (n * 1000) / ms;
}

async function keyvalPerJob(n: number): Promise<number> {
  const store = createStore(`kv-${n}-${Math.random()}`, 'jobs');
  const start = performance.now();
  for (let i = 0; i < n; i++) await set(`job-${i}`, record(i), store);
  return (n * 1000) / (performance.now() - start);
}

async function crossing(): Promise<Record<string, number>> {
  const worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module', name: `cross-${Math.random()}` });
  const port = await new Promise<MessagePort>((resolve) => {
    worker.addEventListener('message', function once(e: MessageEvent) {
      if (e.data?.kind === 'baton-port') {
        worker.removeEventListener('message', once);
        resolve(e.data.port);
      }
    });
  });
  const baton = connect(port);
  const echo = (id: number) =>
    new Promise<void>((resolve) => {
      const on = (e: MessageEvent) => {
        if (e.data?.kind === 'echo' && e.data.id === id) {
          worker.removeEventListener('message', on);
          resolve();
        }
      };
      worker.addEventListener('message', on);
      worker.postMessage({ kind: 'echo', id, payload: record(id).payload });
    });
  for (let i = 0; i < 200; i++) await echo(i); // warm-up
  await baton.submit({ type: 'noop' });
  const raw: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t = performance.now();
    await echo(i);
    raw.push(performance.now() - t);
  }
  const rtt: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t = performance.now();
    await baton.submit({ type: 'noop', payload: record(i).payload });
    rtt.push(performance.now() - t);
  }
  const n = 2000;
  let t = performance.now();
  for (let i = 0; i < n; i++) await baton.submit({ type: 'noop', payload: record(i).payload });
  const oneCallPerJob = (n * 1000) / (performance.now() - t);
  t = performance.now();
  for (let i = 0; i < n; i += 1000) await baton.submitAll(Array.from({ length: 1000 }, (_, k) => ({ type: 'noop' as const, payload: record(i + k).payload }))); // LIMITS.batch
  const batched = (n * 1000) / (performance.now() - t);
  const big = { blob: 'y'.repeat(10 * 1024) };
  const blocked: number[] = [];
  for (let i = 0; i < 200; i++) {
    const s = performance.now();
    const pending = baton.submit({ type: 'noop', payload: big }); // the synchronous part: what the page's thread pays
    blocked.push(performance.now() - s);
    await pending;
  }
  baton.close();
  worker.terminate();
  return {
    rawRttP50Ms: quantile(raw, 0.5),
    submitRttP50Ms: quantile(rtt, 0.5),
    submitRttP99Ms: quantile(rtt, 0.99),
    oneCallPerJobJobsPerS: oneCallPerJob,
    batchedJobsPerS: batched,
    blockedPer10KiBP50Ms: quantile(blocked, 0.5),
    blockedPer10KiBP99Ms: quantile(blocked, 0.99),
  };
}

/**
 * Claim passes at a deep backlog: the fair pass on IdbStore against 0.2's
 * single read of its claim index `(queue, rank, id)`, kept in a second
 * database with the same rows.
 */
async function claimCost(backlog: number, keys: number, runs: number): Promise<ClaimCost> {
  const suffix = `${backlog}-${keys}-${Math.random()}`;
  const store = await IdbStore.open({ name: `claim-${suffix}`, exclusive: true });
  const records = backlogRecords(backlog, keys);
  for (let i = 0; i < records.length; i += 10_000) await store.commit(insertBatch(records.slice(i, i + 10_000)));
  const old = await openDB(`claim-v02-${suffix}`, 1, {
    upgrade: (d) => void d.createObjectStore('jobs', { keyPath: 'id' }).createIndex('claim', ['queue', 'rank', 'id']),
  });
  for (let i = 0; i < records.length; i += 10_000) {
    const tx = old.transaction('jobs', 'readwrite');
    for (const r of records.slice(i, i + 10_000)) void tx.store.put(r);
    await tx.done;
  }
  const range = IDBKeyRange.bound(['default', -Infinity, ''], ['default', Infinity, '\uffff']);
  const oldRead = (limit: number) => old.getAllFromIndex('jobs', 'claim', range, limit);
  const turn = { key: null, served: 0, sole: false };
  const passes = 20;
  await oldPasses(oldRead, 5, 64);
  await fairPasses(store, 5, 64, turn);
  const oldMs: number[] = [];
  const newMs: number[] = [];
  let reads = 0;
  for (let run = 0; run < runs; run++) {
    let t = performance.now();
    await oldPasses(oldRead, passes, 64);
    oldMs.push((performance.now() - t) / passes);
    t = performance.now();
    reads = await fairPasses(store, passes, 64, turn);
    newMs.push((performance.now() - t) / passes);
  }
  store.close();
  old.close();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { backlog, keys, slots: 64, oldMs: median(oldMs), newMs: median(newMs), runs, reads };
}

declare global {
  interface Window {
    runBench(options: { sizes: number[]; keyvalJobs: number; runs: number }): Promise<unknown>;
    runClaimCost(options: { backlog: number; keys: number; runs: number }): Promise<ClaimCost>;
  }
}

window.runClaimCost = ({ backlog, keys, runs }) => claimCost(backlog, keys, runs);

window.runBench = async ({ sizes, keyvalJobs, runs }) => {
  const throughput: Array<{ jobs: number; baton: number[]; raw: number[]; keyval: number[] }> = [];
  for (const n of sizes) {
    const row = { jobs: n, baton: [] as number[], raw: [] as number[], keyval: [] as number[] };
    for (let r = 0; r < runs; r++) {
      row.raw.push(await rawBulk(n));
      row.baton.push(await batonThroughput(n));
      row.keyval.push(await keyvalPerJob(Math.min(n, keyvalJobs)));
    }
    throughput.push(row);
  }
  return { throughput, crossing: await crossing() };
};
