/**
 * The browser scenarios, in real headless Chromium: a Vite dev server
 * serves bench/browser/, Playwright drives the page, the page measures.
 */
import { claimGoal } from './edge.ts';
import type { ClaimCost } from './lib/claim-cost.ts';
import { openBenchPage } from './lib/chromium.ts';
import { median, table, printGoals } from './lib/stats.ts';

export interface BrowserResults {
  readonly throughput: Array<{ jobs: number; baton: number; raw: number; keyval: number }>;
  readonly crossing: Record<string, number>;
  /** A claim pass at a 100k backlog: the fair pass against 0.2's single read, without fairness keys and with 10. */
  readonly claim: ClaimCost[];
  readonly goals: Array<{ goal: string; value: string; met: boolean }>;
}

export async function runBrowser(runs: number, sizes = [10_000, 100_000], keyvalJobs = 5_000): Promise<BrowserResults> {
  const { page, close } = await openBenchPage(new URL('./browser/', import.meta.url), ['bench.worker.ts']);
  try {
    await page.waitForFunction(() => typeof window.runBench === 'function');
    const raw = (await page.evaluate((o) => window.runBench(o), { sizes, keyvalJobs, runs })) as {
      throughput: Array<{ jobs: number; baton: number[]; raw: number[]; keyval: number[] }>;
      crossing: Record<string, number>;
    };
    const claim: ClaimCost[] = [];
    for (const keys of [0, 10]) claim.push(await page.evaluate((o) => window.runClaimCost(o), { backlog: 100_000, keys, runs: Math.max(5, runs) }));
    const throughput = raw.throughput.map((r) => ({ jobs: r.jobs, baton: median(r.baton), raw: median(r.raw), keyval: median(r.keyval) }));
    const c = raw.crossing;
    const goals = [
      ...throughput.map((t) => ({
        goal: `durable throughput ≥ 0.35× a raw idb bulk transaction (${t.jobs} jobs)`,
        value: `${(t.baton / t.raw).toFixed(2)}×`,
        met: t.baton >= 0.35 * t.raw,
      })),
      ...throughput.map((t) => ({
        goal: `durable throughput ≥ 10× one transaction per job, idb-keyval (${t.jobs} jobs)`,
        value: `${(t.baton / t.keyval).toFixed(1)}×`,
        met: t.baton >= 10 * t.keyval,
      })),
      {
        goal: 'submit round trip p50 ≤ 1.2× raw postMessage',
        value: `${(c.submitRttP50Ms! / c.rawRttP50Ms!).toFixed(1)}×`,
        met: c.submitRttP50Ms! <= 1.2 * c.rawRttP50Ms!,
      },
      {
        goal: 'batched submit ≥ 5× one Comlink call per job',
        value: `${(c.batchedJobsPerS! / c.oneCallPerJobJobsPerS!).toFixed(1)}×`,
        met: c.batchedJobsPerS! >= 5 * c.oneCallPerJobJobsPerS!,
      },
      { goal: 'main thread blocked < 1 ms per 10 KiB submit (p99)', value: `${c.blockedPer10KiBP99Ms!.toFixed(3)} ms`, met: c.blockedPer10KiBP99Ms! < 1 },
      ...claim.map((x) => claimGoal('IndexedDB', x)),
    ];
    return { throughput, crossing: c, claim, goals };
  } finally {
    await close();
  }
}

export function printBrowser(r: BrowserResults): void {
  console.log(
    table(
      ['jobs', 'baton jobs/s', 'raw idb bulk writes/s', 'idb-keyval writes/s'],
      r.throughput.map((t) => [
        t.jobs.toLocaleString('en'),
        Math.round(t.baton).toLocaleString('en'),
        Math.round(t.raw).toLocaleString('en'),
        Math.round(t.keyval).toLocaleString('en'),
      ]),
    ),
  );
  const c = r.crossing;
  console.log(
    `\npage → worker: raw postMessage RTT p50 ${c.rawRttP50Ms!.toFixed(3)} ms; Baton submit (committed to IndexedDB) p50 ${c.submitRttP50Ms!.toFixed(3)} ms, p99 ${c.submitRttP99Ms!.toFixed(3)} ms`,
  );
  console.log(`submits: one Comlink call per job ${Math.round(c.oneCallPerJobJobsPerS!)} jobs/s, one batched call ${Math.round(c.batchedJobsPerS!)} jobs/s`);
  console.log(`main thread blocked per 10 KiB submit: p50 ${c.blockedPer10KiBP50Ms!.toFixed(3)} ms, p99 ${c.blockedPer10KiBP99Ms!.toFixed(3)} ms`);
  printGoals(r.goals);
}
