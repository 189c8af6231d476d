/**
 * `npm run bench`: every scenario, a table on stdout and JSON in
 * bench/results/. Figures are medians of several runs with the range; the
 * goals are ratios against peers measured in the same process and run.
 *
 * Environment: BENCH_SCENARIOS (default "sizes,core,otel,retention,storm,fairness,edge,browser,outbox"), BENCH_JOBS (default 1,000,000), BENCH_RUNS (default 5),
 * (retention-idb and retention-edge, bounded storage through the real stores, run only when named: see bench/retention-stores.ts),
 * BENCH_PQUEUE_DEEP_JOBS (p-queue at the 100k backlog, default 200,000:
 * its cost per job is flat in the job count at a fixed backlog, and a
 * million would take minutes a run).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { SYSTEMS, type Config } from './core-throughput.ts';
import { printBrowser, runBrowser } from './browser.ts';
import { printEdge, runEdge } from './edge.ts';
import { printOutbox, runOutbox } from './outbox.ts';
import { runOtel } from './otel.ts';
import { runRetention } from './retention.ts';
import { printStore, runRetentionEdge, runRetentionIdb } from './retention-stores.ts';
import { printBackpressure, runBackpressure } from './sim/backpressure.ts';
import { printNoisyKey, runNoisyKey } from './sim/noisy-key.ts';
import { printOverload, runOverload } from './sim/overload.ts';
import { printStorms, runStorms } from './sim/report.ts';
import { median, printGoals, range, table } from './lib/stats.ts';
import { runSizes, sizeGoals } from './sizes.ts';
import { heapPerRetainedJob } from './heap.ts';

const JOBS = Number(process.env.BENCH_JOBS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PQUEUE_DEEP_JOBS = Number(process.env.BENCH_PQUEUE_DEEP_JOBS ?? 200_000);

interface Row {
  readonly system: string;
  readonly backlog: number;
  readonly concurrency: number;
  readonly jobs: number;
  readonly nsPerJob: number;
  readonly rangeNsPerJob: [number, number];
  readonly jobsPerSecond: number;
}

const configs: Array<{ backlog: number; concurrency: number }> = [
  { backlog: 1_000, concurrency: 1 },
  { backlog: 1_000, concurrency: 64 },
  { backlog: 100_000, concurrency: 1 },
  { backlog: 100_000, concurrency: 64 },
];

function jobsFor(system: string, backlog: number): number {
  return system === 'p-queue' && backlog >= 100_000 ? Math.min(JOBS, PQUEUE_DEEP_JOBS) : JOBS;
}

const SCENARIOS = new Set((process.env.BENCH_SCENARIOS ?? 'sizes,core,otel,retention,storm,fairness,edge,browser,outbox').split(','));
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });

const machine = `${cpus()[0]?.model ?? 'unknown cpu'} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
/** Writes a scenario's figures to bench/results/<scenario>-<stamp>.json. */
function save(scenario: string, figures: object): void {
  const file = new URL(`./results/${scenario}-${stamp}.json`, import.meta.url);
  writeFileSync(file, JSON.stringify({ scenario, date: new Date().toISOString(), machine, ...figures }, null, 2));
  console.log(`\nwrote ${file.pathname}`);
}

if (SCENARIOS.has('sizes')) {
  console.log(`Bundle sizes — what a user's bundler ships per use case, from the built packages (esbuild, minified, ESM)\n`);
  const sizes = await runSizes();
  const kb = (n: number) => `${(n / 1000).toFixed(1)} kB`;
  console.log(
    table(
      ['use case', 'system', 'minified', 'gzip'],
      sizes.map((r) => [r.useCase, r.system, kb(r.bytes), kb(r.gzipBytes)]),
    ),
  );
  const goals = sizeGoals(sizes);
  console.log(
    `\n${table(
      ['budget', 'measured', 'met'],
      goals.map((g) => [g.goal, g.value, g.met ? 'yes' : 'NO']),
    )}\n`,
  );
  save('sizes', { rows: sizes, goals });
}

if (SCENARIOS.has('core')) {
  console.log(`Baton core benchmark — ${new Date().toISOString().slice(0, 10)} — ${machine}`);
  console.log(`submit → run → complete, no-op jobs over 5 priorities, ${JOBS.toLocaleString('en')} jobs a run, median of ${RUNS} runs after a warm-up\n`);

  const rows: Row[] = [];
  for (const { backlog, concurrency } of configs) {
    const samples = new Map<string, number[]>();
    for (const [name, system] of Object.entries(SYSTEMS)) {
      await system({ jobs: Math.min(100_000, jobsFor(name, backlog)), backlog: Math.min(backlog, 10_000), concurrency }); // warm-up
      samples.set(name, []);
    }
    for (let run = 0; run < RUNS; run++) {
      // Interleaved, so drift on a shared machine hits every system alike.
      for (const [name, system] of Object.entries(SYSTEMS)) {
        const config: Config = { jobs: jobsFor(name, backlog), backlog, concurrency };
        const ms = await system(config);
        samples.get(name)!.push((ms * 1e6) / config.jobs);
        (globalThis as { gc?: () => void }).gc?.();
      }
    }
    for (const [name, values] of samples) {
      const ns = median(values);
      rows.push({ system: name, backlog, concurrency, jobs: jobsFor(name, backlog), nsPerJob: ns, rangeNsPerJob: range(values), jobsPerSecond: 1e9 / ns });
    }
    const done = rows.filter((r) => r.backlog === backlog && r.concurrency === concurrency);
    console.log(done.map((r) => `  backlog ${backlog}, concurrency ${concurrency}: ${r.system} ${Math.round(r.nsPerJob)} ns/job`).join('\n'));
  }

  const find = (system: string, backlog: number, concurrency: number) =>
    rows.find((r) => r.system === system && r.backlog === backlog && r.concurrency === concurrency)!;
  console.log(
    '\n' +
      table(
        ['backlog', 'conc.', 'system', 'jobs', 'ns/job (median)', 'range', 'jobs/s', 'vs baton'],
        rows.map((r) => {
          const b = find('baton', r.backlog, r.concurrency);
          return [
            r.backlog.toLocaleString('en'),
            String(r.concurrency),
            r.system,
            r.jobs.toLocaleString('en'),
            Math.round(r.nsPerJob).toLocaleString('en'),
            `${Math.round(r.rangeNsPerJob[0]).toLocaleString('en')}–${Math.round(r.rangeNsPerJob[1]).toLocaleString('en')}`,
            Math.round(r.jobsPerSecond).toLocaleString('en'),
            `${(r.nsPerJob / b.nsPerJob).toFixed(2)}×`,
          ];
        }),
      ),
  );

  const heap: number[] = [];
  for (let run = 0; run < Math.min(RUNS, 3); run++) {
    const bytes = await heapPerRetainedJob();
    if (bytes !== null) heap.push(bytes);
  }
  const heapBytes = heap.length === 0 ? null : median(heap);
  console.log(
    `\nheap per retained succeeded job (defaults, 100k jobs kept): ${heapBytes === null ? 'n/a (run with --expose-gc)' : `${Math.round(heapBytes)} B`}`,
  );
  const goals = [
    {
      goal: '≤ 3 µs per job (backlog 1000, concurrency 64)',
      value: `${(find('baton', 1_000, 64).nsPerJob / 1000).toFixed(2)} µs`,
      met: find('baton', 1_000, 64).nsPerJob <= 3_000,
    },
    ...(heapBytes === null ? [] : [{ goal: '≤ 600 B of heap per retained succeeded job', value: `${Math.round(heapBytes)} B`, met: heapBytes <= 600 }]),
    ...[1, 64].flatMap((c) =>
      [1_000, 100_000].map((b) => {
        const ratio = find('baton', b, c).nsPerJob / find('fastq', b, c).nsPerJob;
        return { goal: `per-job cost ≤ 1.5× fastq (backlog ${b}, concurrency ${c})`, value: `${ratio.toFixed(2)}×`, met: ratio <= 1.5 };
      }),
    ),
    ...[1, 64].map((c) => {
      const ratio = find('p-queue', 100_000, c).nsPerJob / find('baton', 100_000, c).nsPerJob;
      return { goal: `throughput ≥ 3× p-queue at a 100k backlog (concurrency ${c})`, value: `${ratio.toFixed(2)}×`, met: ratio >= 3 };
    }),
    ...[1, 64].map((c) => {
      const ratio = find('baton', 100_000, c).nsPerJob / find('baton', 1_000, c).nsPerJob;
      return { goal: `cost at a 100k backlog ≤ 1.5× cost at 1k (concurrency ${c})`, value: `${ratio.toFixed(2)}×`, met: ratio <= 1.5 };
    }),
  ];
  printGoals(goals);

  save('core-throughput', { jobs: JOBS, runs: RUNS, rows, heapBytesPerRetainedJob: heapBytes, goals });
}

if (SCENARIOS.has('otel')) {
  // A tenth of the core's jobs: three variants a run, and spans cost memory until exported.
  const config = { jobs: Math.max(10_000, Math.round(JOBS / 10)), backlog: 1_000, concurrency: 64 };
  console.log(`\nTracing overhead — the core hot path (backlog 1k, concurrency 64, ${config.jobs} jobs), ${RUNS} runs, interleaved\n`);
  const rows = await runOtel(config, RUNS);
  const pct = (x: number | null) => (x === null ? '' : `${(x * 100).toFixed(1)} %`);
  console.log(
    table(
      ['variant', 'µs/job (median)', 'range', 'overhead (median of per-run ratios)'],
      rows.map((r) => [
        r.variant,
        (r.nsPerJob / 1000).toFixed(2),
        `${(r.rangeNsPerJob[0] / 1000).toFixed(2)}–${(r.rangeNsPerJob[1] / 1000).toFixed(2)}`,
        pct(r.overhead),
      ]),
    ),
  );
  const goals = [
    { goal: 'no provider ≤ 2 %', value: pct(rows[1]!.overhead), met: (rows[1]!.overhead ?? 1) <= 0.02 },
    { goal: 'SDK provider ≤ 15 %', value: pct(rows[2]!.overhead), met: (rows[2]!.overhead ?? 1) <= 0.15 },
  ];
  printGoals(goals);
  console.log(`spans exported in the last run: ${rows[2]!.spans}\n`);
  save('otel', { config, runs: RUNS, rows, goals });
}

if (SCENARIOS.has('retention')) {
  const config = { jobs: JOBS, backlog: 1_000, concurrency: 64 };
  console.log(`\nBounded storage — the core hot path (memory store, backlog 1k, concurrency 64, ${JOBS} jobs), ${RUNS} runs, interleaved\n`);
  const rows = await runRetention(config, RUNS, 1_000);
  console.log(
    table(
      ['succeeded jobs', 'µs/job (median)', 'most jobs stored', 'time vs deleted at once'],
      rows.map((r) => [r.variant, (r.nsPerJob / 1000).toFixed(2), String(r.peakJobs), r.ratio === null ? '' : `${r.ratio.toFixed(2)}×`]),
    ),
  );
  save('retention', { config, runs: RUNS, rows });
}

// Not in the default list (minutes each): BENCH_SCENARIOS=retention-idb,retention-edge; sizes and retention in bench/retention-stores.ts.
for (const [scenario, store, run] of [
  ['retention-idb', 'IndexedDB in headless Chromium', runRetentionIdb],
  ['retention-edge', 'one Durable Object in workerd (SQLite)', runRetentionEdge],
] as const) {
  if (!SCENARIOS.has(scenario)) continue;
  console.log(`\nBounded storage through ${store} — ${machine}`);
  const results = await run(RUNS);
  printStore(results);
  save(scenario, results);
}

if (SCENARIOS.has('storm')) {
  console.log(`\nRetry storms — the real scheduler and the peers under the same fake timers against one simulated dependency`);
  const storms = await runStorms();
  printStorms(storms);
  save('storm', { storms });
}

if (SCENARIOS.has('fairness')) {
  console.log(`\nFairness under overload — the real scheduler, p-queue and a FIFO under the same fake timers`);
  const overload = await runOverload();
  printOverload(overload);
  const noisyKey = await runNoisyKey();
  printNoisyKey(noisyKey);
  const backpressure = await runBackpressure();
  printBackpressure(backpressure);
  save('fairness', { overload, noisyKey, backpressure });
}

if (SCENARIOS.has('edge')) {
  console.log(`\nBaton edge benchmark — workerd under wrangler's local dev server — ${machine}`);
  console.log(`submit → run → complete through one Durable Object, median of ${RUNS} runs; delayed jobs through the alarm; HTTP submits on loopback\n`);
  const edge = await runEdge(RUNS);
  printEdge(edge);
  save('edge', { runs: RUNS, ...edge });
}

if (SCENARIOS.has('browser')) {
  console.log(`\nBaton browser benchmark — headless Chromium — ${machine}`);
  console.log(`durable submit → run → complete on IndexedDB against a raw bulk transaction and idb-keyval; page → worker costs; median of ${RUNS} runs\n`);
  const browser = await runBrowser(RUNS);
  printBrowser(browser);
  save('browser', { runs: RUNS, ...browser });
}

if (SCENARIOS.has('outbox')) {
  console.log(`\nOutbox benchmark — headless Chromium against wrangler dev behind a chaos proxy — ${machine}`);
  console.log(
    `1,000 jobs over 20 keys queued while the edge is unreachable, drained after reconnection: Baton's outbox vs Workbox's background-sync Queue; ${RUNS} runs\n`,
  );
  const outbox = await runOutbox(RUNS);
  printOutbox(outbox);
  save('outbox', { runs: RUNS, ...outbox });
}
