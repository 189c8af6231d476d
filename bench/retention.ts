/**
 * Bounded storage: the core hot path (memory store, backlog 1k, concurrency
 * 64) with succeeded jobs kept under a 1-second retention, against the same
 * run deleting them at once (`keepSucceeded: false`): throughput, and the
 * most jobs the store held, sampled every 50 ms.
 */
import { MemoryStore } from '@baton/core';
import { batonWith, type Config } from './core-throughput.ts';
import { median } from './lib/stats.ts';

export interface RetentionRow {
  readonly variant: string;
  readonly nsPerJob: number;
  /** The most jobs stored at once (all states), over the runs. */
  readonly peakJobs: number;
  readonly ratio: number | null;
}

/** Runs `run` on a store that notes how many jobs it holds after every 100th commit (timers would not fire mid-run). */
async function sampled(run: (store: MemoryStore) => Promise<number>): Promise<{ ms: number; peak: number }> {
  const store = new MemoryStore();
  let peak = 0;
  let commits = 0;
  const commit = store.commit.bind(store);
  store.commit = async (batch) => {
    await commit(batch);
    if (++commits % 100 === 0) {
      const c = await store.counts();
      peak = Math.max(
        peak,
        Object.values(c).reduce((sum, byPriority) => sum + byPriority.reduce((a, b) => a + b, 0), 0),
      );
    }
  };
  const ms = await run(store);
  return { ms, peak };
}

export async function runRetention(config: Config, runs: number, retentionMs: number): Promise<RetentionRow[]> {
  const base: number[] = [];
  const kept: number[] = [];
  let basePeak = 0;
  let keptPeak = 0;
  for (let i = 0; i < runs; i++) {
    const a = await sampled((store) => batonWith(config, undefined, { store, retention: {} }, false));
    base.push(a.ms);
    basePeak = Math.max(basePeak, a.peak);
    const b = await sampled((store) => batonWith(config, undefined, { store, retention: { succeededMs: retentionMs, everyMs: 100, batch: 1_000 } }, true));
    kept.push(b.ms);
    keptPeak = Math.max(keptPeak, b.peak);
  }
  const ns = (ms: number[]) => (median(ms) * 1e6) / config.jobs;
  return [
    { variant: 'deleted at once (keepSucceeded: false)', nsPerJob: ns(base), peakJobs: basePeak, ratio: null },
    {
      variant: `kept ${retentionMs / 1000} s (retention)`,
      nsPerJob: ns(kept),
      peakJobs: keptPeak,
      ratio: median(kept.map((ms, i) => ms / base[i]!)),
    },
  ];
}
