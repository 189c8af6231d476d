/**
 * Heap per retained job: what the memory store holds for each succeeded job
 * kept as the default user gets it (`keepSucceeded` and the default
 * retention), measured as the heap growth after a forced GC over 100k jobs
 * run to completion, divided by the jobs. Needs `--expose-gc` (bench/run.ts
 * re-runs itself with it when `gc` is missing) — without it, the figure is null.
 */
import { createScheduler, MemoryStore } from '@baton/core';
import { systemClock, systemRandom } from '@baton/core/system';

export async function heapPerRetainedJob(jobs = 100_000): Promise<number | null> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return null;
  const store = new MemoryStore();
  const scheduler = createScheduler({
    store,
    clock: systemClock(),
    random: systemRandom(),
    queues: { default: { concurrency: 64 } },
    handlers: { noop: async () => null },
  });
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < jobs; i += 1000) await scheduler.submitAll(Array.from({ length: Math.min(1000, jobs - i) }, () => ({ type: 'noop' as const })));
  await scheduler.whenIdle();
  const m = await scheduler.metrics();
  if ((m.byType.noop?.succeeded ?? 0) !== jobs) throw new Error(`ran ${m.byType.noop?.succeeded} of ${jobs} jobs`);
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / jobs;
  await scheduler.stop();
  // Held to here, so the store is not collected before the second measurement.
  if ((await store.counts()).succeeded.reduce((a, b) => a + b, 0) !== jobs) throw new Error('the store lost jobs');
  return bytes;
}
