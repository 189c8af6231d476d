/**
 * Bounded storage through the real stores: no-op jobs through one IndexedDB
 * database (headless Chromium) and one Durable Object (workerd, SQLite),
 * with succeeded jobs (a) `deleted` at once (`keepSucceeded: false`),
 * (b) `kept` under a retention, (c) `keyed`: as (b), each job with an
 * idempotency key of a short TTL, and (d) `unswept`: kept for ever, the
 * cost of keeping without the sweep's. Runs interleave (a, b, c, d, a, …),
 * each on a fresh database or object, the backlog held between 1,500 and
 * 2,000. Reported: jobs/s and the ratio to (a), the most rows stored at
 * once (sampled every second in the page, every 5,000 jobs in the object),
 * bytes at the peak and at the end, idempotency keys left at the end and
 * once the scheduler has been idle for a retention and woken again.
 *
 * The bound: rows ≤ throughput × (retention + everyMs) + batch + backlog
 * (the retention window, the jobs that finish while the next sweep waits,
 * one batch, the unfinished backlog). Checked two ways: the peak against
 * the deleted-at-once throughput, and each sample taken while jobs ran
 * against the jobs that finished in the window before it.
 *
 * On workerd each run gets a worker of its own (see `runRetentionEdge`);
 * the driver asks for the run a chunk of jobs per request and times it from
 * outside. The object's clock moves on with its storage I/O while it runs.
 *
 * Scenarios `retention-idb` and `retention-edge` in bench/run.ts (not in the
 * default list). Environment: BENCH_RETENTION_JOBS (jobs a run; default
 * 10,000 on IndexedDB, 50,000 on the object: about a minute or two each
 * at BENCH_RUNS=3), BENCH_RETENTION_MS (default 2,000, so that a routine
 * run spans several retention windows; the figure is 60,000 with
 * 1,000,000 jobs), BENCH_RETENTION_EVERY_MS (default retention / 10, at
 * most 1 s), BENCH_RETENTION_BATCH (default 500), BENCH_RETENTION_KEY_TTL_MS
 * (default 1,000), BENCH_RETENTION_SAMPLE_MS (page, default 1,000),
 * BENCH_RETENTION_SAMPLE_JOBS (object, default 5,000), BENCH_RETENTION_CHUNK
 * (object, default 10,000), BENCH_RETENTION_VARIANTS (a subset, e.g.
 * deleted,kept), BENCH_WRANGLER_LOG (default error).
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright';
import { unstable_dev } from 'wrangler';
import { openPage } from './lib/chromium.ts';
import { median, printGoals, range, table } from './lib/stats.ts';
import type { RetentionPage, RunResult, RunSettings, Variant } from './retention-stores/shared.ts';

export interface StoreRow {
  readonly variant: Variant;
  readonly jobs: number;
  readonly jobsPerSecond: number;
  readonly range: [number, number];
  /** Most rows of the jobs table at once, over the runs (samples). */
  readonly peakJobs: number;
  readonly peakKeys: number;
  /** Bytes at the sample with the most bytes, and at the end of the run (median). */
  readonly peakBytes: number;
  readonly endBytes: number;
  readonly endJobs: number;
  readonly endKeys: number;
  /** Expired keys at the end of the run, and overdue ones (their job finished past retention + 2 × everyMs ago): median, most. */
  readonly expiredKeys: number;
  readonly overdueKeys: number;
  /** The same once idle for retention + 2 × everyMs, then woken by one job (medians; overdue: the most). */
  readonly settledJobs: number;
  readonly settledKeys: number;
  readonly settledOverdueKeys: number;
  readonly settledBytes: number;
  readonly swept: number;
  /** The stated bound: deleted-at-once throughput × (retention + everyMs) + batch + backlog (+ one chunk on workerd). */
  readonly bound: number;
  /** The same, sample by sample with the jobs that actually finished in the window before it: the most rows over it (≤ 0: held). */
  readonly worstExcess: number;
}

export interface StoreResults {
  readonly store: 'IndexedDB' | 'Durable Object';
  readonly settings: Omit<RunSettings, 'variant'>;
  readonly runs: number;
  readonly rows: StoreRow[];
  /** Per-run figures, for the record. */
  readonly raw: RunResult[];
  readonly notes: Record<string, unknown>;
  readonly goals: Array<{ goal: string; value: string; met: boolean }>;
}

const ALL_VARIANTS: Variant[] = ['deleted', 'kept', 'keyed', 'unswept'];
/** BENCH_RETENTION_VARIANTS: a subset, e.g. "deleted,kept" for a long run (figures of the variants left out are absent). */
const VARIANTS: Variant[] = (process.env.BENCH_RETENTION_VARIANTS?.split(',') as Variant[] | undefined) ?? ALL_VARIANTS;

export function settingsFor(defaultJobs: number, concurrency: number): Omit<RunSettings, 'variant'> {
  const retentionMs = Number(process.env.BENCH_RETENTION_MS ?? 2_000);
  return {
    jobs: Number(process.env.BENCH_RETENTION_JOBS ?? defaultJobs),
    backlog: 2_000,
    refill: 500,
    concurrency,
    retentionMs,
    everyMs: Number(process.env.BENCH_RETENTION_EVERY_MS ?? Math.min(1_000, Math.round(retentionMs / 10))),
    batch: Number(process.env.BENCH_RETENTION_BATCH ?? 500),
    keyTtlMs: Number(process.env.BENCH_RETENTION_KEY_TTL_MS ?? 1_000),
  };
}

export function summarize(
  store: StoreResults['store'],
  settings: Omit<RunSettings, 'variant'>,
  runs: number,
  raw: RunResult[],
  extraSlack: number,
  notes: Record<string, unknown>,
): StoreResults {
  const slack = settings.batch + settings.backlog + extraSlack;
  const rows: StoreRow[] = VARIANTS.map((variant) => {
    const mine = raw.filter((r) => r.variant === variant);
    const rates = mine.map((r) => (r.jobs * 1000) / r.ms);
    const jobsPerSecond = median(rates);
    const all = mine.flatMap((r) => [...r.samples, r.end]);
    const peak = all.reduce((a, s) => (s.jobs > a.jobs ? s : a), all[0]!);
    return {
      variant,
      jobs: settings.jobs,
      jobsPerSecond,
      range: range(rates),
      peakJobs: peak.jobs,
      peakKeys: Math.max(...all.map((s) => s.keys)),
      peakBytes: Math.max(...all.map((s) => s.bytes)),
      endBytes: median(mine.map((r) => r.end.bytes)),
      endJobs: median(mine.map((r) => r.end.jobs)),
      endKeys: median(mine.map((r) => r.end.keys)),
      expiredKeys: median(mine.map((r) => r.end.expiredKeys)),
      overdueKeys: Math.max(...mine.map((r) => r.end.overdueKeys)),
      settledJobs: median(mine.map((r) => r.settled.jobs)),
      settledKeys: median(mine.map((r) => r.settled.keys)),
      settledOverdueKeys: Math.max(...mine.map((r) => r.settled.overdueKeys)),
      settledBytes: median(mine.map((r) => r.settled.bytes)),
      swept: median(mine.map((r) => r.swept)),
      bound: 0,
      worstExcess: Math.max(...mine.map((r) => excess(r, variant === 'deleted' ? 0 : settings.retentionMs + settings.everyMs, slack))),
    };
  });
  const find = (variant: Variant) => rows.find((r) => r.variant === variant);
  const deleted = find('deleted');
  const deletedRate = deleted?.jobsPerSecond ?? Math.max(...rows.map((r) => r.jobsPerSecond));
  for (const [i, row] of rows.entries()) {
    const windowMs = row.variant === 'deleted' ? 0 : settings.retentionMs + settings.everyMs;
    rows[i] = { ...row, bound: Math.ceil((deletedRate * windowMs) / 1000) + slack };
  }
  const kept = find('kept');
  const keyed = find('keyed');
  const unswept = find('unswept');
  const chunk = extraSlack > 0 ? ' + one chunk' : '';
  const goals: Array<{ goal: string; value: string; met: boolean }> = [];
  if (kept !== undefined && deleted !== undefined)
    goals.push({
      goal: `${store}: throughput kept ${settings.retentionMs / 1000} s ≥ 0.9× deleted at once`,
      value: `${(kept.jobsPerSecond / deleted.jobsPerSecond).toFixed(2)}× (${Math.round(kept.jobsPerSecond)} vs ${Math.round(deleted.jobsPerSecond)} jobs/s)`,
      met: kept.jobsPerSecond >= 0.9 * deleted.jobsPerSecond,
    });
  for (const r of [kept, keyed]) {
    if (r === undefined) continue;
    const windows = ((settings.jobs / r.jobsPerSecond) * 1000) / settings.retentionMs;
    goals.push(
      {
        goal: `${store}, ${r.variant}: peak rows ≤ throughput × (retention + everyMs) + batch + backlog${chunk}`,
        value: `${r.peakJobs.toLocaleString('en')} ≤ ${r.bound.toLocaleString('en')} (run spans ${windows.toFixed(1)} retention windows)`,
        met: r.peakJobs <= r.bound,
      },
      {
        goal: `${store}, ${r.variant}: every sample's rows ≤ jobs finished in the (retention + everyMs) before it + batch + backlog${chunk}`,
        value: r.worstExcess <= 0 ? `held (closest: ${(-r.worstExcess).toLocaleString('en')} rows under)` : `${r.worstExcess.toLocaleString('en')} rows over`,
        met: r.worstExcess <= 0,
      },
    );
  }
  if (keyed !== undefined)
    goals.push({
      goal: `${store}, keyed: no expired key left past its job's retention + 2 sweeps (idle, then woken)`,
      value: `${keyed.settledOverdueKeys.toLocaleString('en')} overdue of ${keyed.settledKeys.toLocaleString('en')} keys (at the run's end: ${keyed.overdueKeys.toLocaleString('en')} of ${keyed.endKeys.toLocaleString('en')})`,
      met: keyed.settledOverdueKeys === 0,
    });
  if (unswept !== undefined && deleted !== undefined)
    goals.push({
      goal: `${store}, diagnostic: kept and never swept vs deleted at once (the cost of keeping, without the sweep)`,
      value: `${(unswept.jobsPerSecond / deleted.jobsPerSecond).toFixed(2)}× (${Math.round(unswept.jobsPerSecond)} jobs/s; ${unswept.peakJobs.toLocaleString('en')} rows at the end)`,
      met: unswept.jobsPerSecond >= 0.9 * deleted.jobsPerSecond,
    });
  if (unswept !== undefined && kept !== undefined)
    goals.push({
      goal: `${store}, diagnostic: kept vs kept and never swept (the sweep's own cost)`,
      value: `${(kept.jobsPerSecond / unswept.jobsPerSecond).toFixed(2)}×`,
      met: kept.jobsPerSecond >= 0.9 * unswept.jobsPerSecond,
    });
  return { store, settings, runs, rows, raw, notes, goals };
}

/**
 * The page bundled once with esbuild and served as static files, then
 * opened in headless Chromium: unlike Vite's dev server (bench/lib/chromium.ts),
 * nothing reloads the page when the packages are rebuilt during a long run.
 */
async function openBundledPage(): Promise<{ page: Page; close(): Promise<void> }> {
  const bundled = await build({
    entryPoints: [new URL('./retention-stores/page/main.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2023',
    write: false,
    logLevel: 'error',
  });
  const script = bundled.outputFiles[0]!.contents;
  const html = '<!doctype html><meta charset="utf-8"><title>Baton bounded-storage benchmark</title><script type="module" src="./main.js"></script>';
  const server = createServer((request, response) => {
    const js = request.url === '/main.js';
    response.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html' });
    response.end(js ? script : html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return openPage(`http://127.0.0.1:${port}/index.html`, () => new Promise((resolve) => server.close(resolve)));
}

/** The most rows a run held over `windowMs` worth of its own finished jobs + `slack`, sample by sample while it ran (≤ 0: the bound held). */
function excess(r: RunResult, windowMs: number, slack: number): number {
  const points = [{ atMs: 0, completed: 0 }, ...r.samples, r.end];
  const completedAt = (atMs: number): number => {
    if (atMs <= 0) return 0;
    for (let i = 1; i < points.length; i++) {
      const a = points[i - 1]!;
      const b = points[i]!;
      if (b.atMs >= atMs) return b.atMs === a.atMs ? b.completed : a.completed + ((b.completed - a.completed) * (atMs - a.atMs)) / (b.atMs - a.atMs);
    }
    return points.at(-1)!.completed;
  };
  // The samples taken while jobs ran: once idle, a scheduler does not sweep (see `settled`).
  return Math.max(...r.samples.map((s) => Math.ceil(s.jobs - (s.completed - completedAt(s.atMs - windowMs)) - slack)));
}

export async function runRetentionIdb(runs: number): Promise<StoreResults> {
  const settings = settingsFor(10_000, 64);
  const sampleMs = Number(process.env.BENCH_RETENTION_SAMPLE_MS ?? 1_000);
  const { page, close } = await openBundledPage();
  try {
    await page.waitForFunction(() => typeof (window as unknown as Partial<RetentionPage>).runRetention === 'function');
    const probe = await page.evaluate((mb) => (window as unknown as RetentionPage).probeUsage(mb), 20);
    const raw: RunResult[] = [];
    // Warm-up, not counted.
    for (const variant of VARIANTS)
      await page.evaluate(([s, ms]) => (window as unknown as RetentionPage).runRetention(s, ms), [
        { ...settings, variant, jobs: Math.min(settings.jobs, 5_000) },
        sampleMs,
      ] as const);
    for (let run = 0; run < runs; run++) {
      for (const variant of VARIANTS) {
        const r = await page.evaluate(([s, ms]) => (window as unknown as RetentionPage).runRetention(s, ms), [{ ...settings, variant }, sampleMs] as const);
        console.log(
          `  IndexedDB run ${run + 1}, ${variant}: ${Math.round((r.jobs * 1000) / r.ms)} jobs/s, peak ${Math.max(...r.samples.map((s) => s.jobs), r.end.jobs)} rows, end ${r.end.jobs} rows, ${r.end.keys} keys`,
        );
        raw.push(r);
      }
    }
    return summarize('IndexedDB', settings, runs, raw, 0, { sampleMs, usageProbe20MiB: probe });
  } finally {
    await close();
  }
}

export function printStore(r: StoreResults): void {
  const s = r.settings;
  console.log(
    `\n${r.store}: ${s.jobs.toLocaleString('en')} no-op jobs a run, backlog ${s.backlog - s.refill}–${s.backlog}, concurrency ${s.concurrency}; retention ${s.retentionMs} ms, everyMs ${s.everyMs}, batch ${s.batch}; keyed: idempotencyTtlMs ${s.keyTtlMs}; median of ${r.runs} runs\n`,
  );
  const deleted = r.rows.find((x) => x.variant === 'deleted') ?? r.rows[0]!;
  console.log(
    table(
      [
        'variant',
        'jobs/s (median)',
        'range',
        'vs deleted',
        'peak rows',
        'bound',
        'worst vs window',
        'peak keys',
        'end rows',
        'end keys',
        'expired / overdue',
        'settled rows',
        'settled keys',
        'overdue',
        'peak bytes',
        'end bytes',
      ],
      r.rows.map((x) => [
        x.variant,
        Math.round(x.jobsPerSecond).toLocaleString('en'),
        `${Math.round(x.range[0])}–${Math.round(x.range[1])}`,
        `${(x.jobsPerSecond / deleted.jobsPerSecond).toFixed(2)}×`,
        x.peakJobs.toLocaleString('en'),
        x.variant === 'unswept' ? '—' : x.bound.toLocaleString('en'),
        x.variant === 'unswept' ? '—' : x.worstExcess > 0 ? `+${x.worstExcess}` : String(x.worstExcess),
        x.peakKeys.toLocaleString('en'),
        Math.round(x.endJobs).toLocaleString('en'),
        Math.round(x.endKeys).toLocaleString('en'),
        `${Math.round(x.expiredKeys).toLocaleString('en')} / ${x.overdueKeys.toLocaleString('en')}`,
        Math.round(x.settledJobs).toLocaleString('en'),
        Math.round(x.settledKeys).toLocaleString('en'),
        x.settledOverdueKeys.toLocaleString('en'),
        `${(x.peakBytes / 2 ** 20).toFixed(1)} MiB`,
        `${(x.endBytes / 2 ** 20).toFixed(1)} MiB`,
      ]),
    ),
  );
  const costs = r.raw.filter((x) => x.cost !== undefined);
  if (costs.length > 0) {
    console.log("\nwhere the time goes (IndexedDB, medians over the runs): store.list calls (the sweep's pages), commits, and the commits that deleted jobs");
    console.log(
      table(
        [
          'variant',
          'run ms',
          'lists',
          'ms in lists',
          'max list ms',
          'commits',
          'ms in commits',
          'deleting commits',
          'ms per deleting commit',
          'ms per other commit',
          'ms in samples',
        ],
        VARIANTS.map((variant) => {
          const mine = costs.filter((x) => x.variant === variant);
          const m = (f: (c: NonNullable<RunResult['cost']>) => number) => median(mine.map((x) => f(x.cost!)));
          return [
            variant,
            Math.round(median(mine.map((x) => x.ms))).toLocaleString('en'),
            Math.round(m((c) => c.lists)).toLocaleString('en'),
            Math.round(m((c) => c.listMs)).toLocaleString('en'),
            m((c) => c.listMaxMs).toFixed(1),
            Math.round(m((c) => c.commits)).toLocaleString('en'),
            Math.round(m((c) => c.commitMs)).toLocaleString('en'),
            Math.round(m((c) => c.deletingCommits)).toLocaleString('en'),
            m((c) => c.deletingCommitMs / Math.max(1, c.deletingCommits)).toFixed(1),
            m((c) => (c.commitMs - c.deletingCommitMs) / Math.max(1, c.commits - c.deletingCommits)).toFixed(1),
            Math.round(m((c) => c.sampleMs)).toLocaleString('en'),
          ];
        }),
      ),
    );
    const probes = r.raw.flatMap((x) => (x.listProbe === undefined ? [] : [x.listProbe]));
    if (probes.length > 0)
      console.log(
        `a sweep page of 100 out of ~${Math.round(median(probes.map((p) => p.rows))).toLocaleString('en')} succeeded jobs: IdbStore.list (a cursor) ${median(probes.map((p) => p.cursorMs)).toFixed(2)} ms, one getAll on the same index range ${median(probes.map((p) => p.getAllMs)).toFixed(2)} ms`,
      );
  }
  printGoals(r.goals);
}

export async function runRetentionEdge(runs: number): Promise<StoreResults> {
  const settings = settingsFor(50_000, 32);
  const chunk = Number(process.env.BENCH_RETENTION_CHUNK ?? 10_000);
  const sampleEvery = Number(process.env.BENCH_RETENTION_SAMPLE_JOBS ?? 5_000);
  /**
   * Each run in a worker of its own: objects of one class share an isolate, and finished objects of earlier
   * runs, still in memory, got a later run's object reset mid-run (its in-memory feed gone).
   */
  // Bundled once, here: wrangler watches what it bundles, and reloads the worker (resetting the object mid-run)
  // when the packages are rebuilt, even with `watch: false`.
  const dir = mkdtempSync(join(tmpdir(), 'baton-retention-'));
  const script = join(dir, 'worker.js');
  await build({
    entryPoints: [new URL('./retention-stores/edge/worker.ts', import.meta.url).pathname],
    outfile: script,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    external: ['cloudflare:*', 'node:*'],
    target: 'es2023',
    logLevel: 'error',
  });
  const once = async (s: RunSettings, tag: string): Promise<RunResult & { clockSteps: number; clockStoodStill: number; evicted: boolean }> => {
    const worker = await unstable_dev(script, {
      config: new URL('./retention-stores/edge/wrangler.toml', import.meta.url).pathname,
      ip: '127.0.0.1',
      logLevel: (process.env.BENCH_WRANGLER_LOG as 'error' | undefined) ?? 'error',
      // No reload when the packages are rebuilt mid-run: it would reset the object.
      experimental: { disableExperimentalWarning: true, watch: false },
    });
    try {
      const json = async <T = unknown>(path: string): Promise<T> => {
        const response = await worker.fetch(path);
        if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
        return response.json() as Promise<T>;
      };
      // Warm-up in the same worker, on an object of its own: a few thousand jobs of the same variant, not counted.
      const warm = encodeURIComponent(`retention|${JSON.stringify({ ...s, jobs: 4_000 })}|warm-${tag}`);
      await json(`/start?object=${warm}&n=${sampleEvery}`);
      await json(`/advance?object=${warm}&n=4000`);
      await json(`/idle?object=${warm}`);
      await json(`/finish?object=${warm}`);
      const object = encodeURIComponent(`retention|${JSON.stringify(s)}|${tag}`);
      // Timed from outside: inside an object workerd's clock stands still while it computes.
      const start = performance.now();
      await json(`/start?object=${object}&n=${sampleEvery}`);
      for (let until = Math.min(chunk, s.jobs); ; until = Math.min(until + chunk, s.jobs)) {
        await json(`/advance?object=${object}&n=${until}`);
        if (until === s.jobs) break;
      }
      await json(`/idle?object=${object}`);
      const ms = performance.now() - start;
      const atEnd = await json<Pick<RunResult, 'end' | 'samples'> & { clockSteps: number; clockStoodStill: number }>(`/end?object=${object}`);
      // Idle for a retention and two sweeps, then one job to wake the scheduler: what the sweep leaves.
      await new Promise((r) => setTimeout(r, s.retentionMs + 2 * s.everyMs + 50));
      const { evicted } = await json<{ evicted: boolean }>(`/wake?object=${object}`);
      const r = await json<Pick<RunResult, 'settled' | 'swept'>>(`/finish?object=${object}`);
      return { variant: s.variant, jobs: s.jobs, ms, ...atEnd, ...r, evicted };
    } finally {
      await worker.stop();
    }
  };
  const raw: RunResult[] = [];
  let stoodStill = 0;
  let steps = 0;
  let evictions = 0;
  const stamp = Date.now();
  for (let run = 0; run < runs; run++) {
    for (const variant of VARIANTS) {
      const r = await once({ ...settings, variant }, `run-${run}-${stamp}`);
      steps += r.clockSteps;
      stoodStill += r.clockStoodStill;
      if (r.evicted) evictions++;
      console.log(
        `  Durable Object run ${run + 1}, ${variant}: ${Math.round((r.jobs * 1000) / r.ms)} jobs/s, peak ${Math.max(...r.samples.map((s) => s.jobs), r.end.jobs)} rows, end ${r.end.jobs} rows, ${r.end.keys} keys, ${(r.end.bytes / 2 ** 20).toFixed(1)} MiB`,
      );
      raw.push(r);
    }
  }
  // A chunk's jobs all finish at one reading of the clock: the sweep sees time in steps of a chunk.
  return summarize('Durable Object', settings, runs, raw, 0, {
    chunk,
    sampleEvery,
    advancesWithTheClockStill: `${stoodStill} of ${steps}`,
    // Objects made again while idle after their run (their `swept` counts only the new scheduler's).
    evictedBeforeWake: evictions,
  });
}
