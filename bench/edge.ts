/**
 * The edge backend in workerd (wrangler's local dev server): jobs/s through
 * one Durable Object for Baton against a naive object writing one KV entry
 * per state change, alarm lateness for delayed jobs, and single-submit
 * latency over HTTP on loopback.
 */
import { unstable_dev } from 'wrangler';
import type { ClaimCost } from './lib/claim-cost.ts';
import { median, range, table, printGoals } from './lib/stats.ts';

export interface EdgeResults {
  readonly throughput: Array<{ system: string; jobs: number; jobsPerSecond: number; range: [number, number] }>;
  readonly ratio: number;
  readonly alarmLatenessMs: { p50: number; p99: number; max: number; samples: number };
  readonly submitLatencyMs: { p50: number; p99: number; samples: number };
  readonly workerFloorMs: { p50: number; p99: number };
  /** A claim pass at a 100k backlog: the fair pass against 0.2's single read, without fairness keys and with 10. */
  readonly claim: ClaimCost[];
  readonly goals: Array<{ goal: string; value: string; met: boolean }>;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

export async function runEdge(runs: number, jobs = 2000): Promise<EdgeResults> {
  const token = 'bench-token-0000000000';
  const worker = await unstable_dev(new URL('./edge/worker.ts', import.meta.url).pathname, {
    config: new URL('./edge/wrangler.toml', import.meta.url).pathname,
    ip: '127.0.0.1',
    vars: { BATON_TOKENS: JSON.stringify({ [token]: 'bench' }) },
    logLevel: 'error',
    experimental: { disableExperimentalWarning: true },
  });
  try {
    const json = async <T = unknown>(path: string): Promise<T> => {
      const response = await worker.fetch(path);
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return response.json() as Promise<T>;
    };
    // Warm-up, then interleaved runs, each on a fresh object.
    await json(`/bench/baton?n=200&object=warm`);
    await json(`/bench/naive?n=200&object=warm`);
    const samples: Record<string, number[]> = { baton: [], naive: [] };
    for (let run = 0; run < runs; run++) {
      for (const system of ['baton', 'naive'] as const) {
        // Timed from outside: inside an object workerd's clock stands still while it computes.
        const start = performance.now();
        await json<{ ms: number }>(`/bench/${system}?n=${jobs}&object=run-${run}`);
        samples[system]!.push((jobs * 1000) / (performance.now() - start));
      }
    }
    const throughput = Object.entries(samples).map(([system, values]) => ({ system, jobs, jobsPerSecond: median(values), range: range(values) }));
    const ratio = throughput[0]!.jobsPerSecond / throughput[1]!.jobsPerSecond;

    const lateness: number[] = [];
    for (let run = 0; run < runs; run++) lateness.push(...(await json<{ latenessMs: number[] }>(`/bench/delayed?n=50&object=delayed-${run}`)).latenessMs);
    lateness.sort((a, b) => a - b);

    const latencies: number[] = [];
    for (let i = 0; i < 200 * runs; i++) {
      const start = performance.now();
      const response = await worker.fetch('/v1/queues/default/jobs', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'noop', payload: { i } }),
      });
      await response.text();
      if (response.status !== 201) throw new Error(`submit: ${response.status}`);
      latencies.push(performance.now() - start);
    }
    latencies.sort((a, b) => a - b);
    // The same round trip that stops at the worker (401, no object): the floor of the local dev server.
    const floor: number[] = [];
    for (let i = 0; i < 200 * runs; i++) {
      const start = performance.now();
      const response = await worker.fetch('/v1/queues/default/jobs', { method: 'POST' });
      await response.text();
      floor.push(performance.now() - start);
    }
    floor.sort((a, b) => a - b);

    const claim: ClaimCost[] = [];
    for (const keys of [0, 10]) claim.push(await sqliteClaimCost(json, 100_000, keys, runs));

    const results: EdgeResults = {
      throughput,
      ratio,
      alarmLatenessMs: { p50: quantile(lateness, 0.5), p99: quantile(lateness, 0.99), max: lateness.at(-1)!, samples: lateness.length },
      submitLatencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), samples: latencies.length },
      workerFloorMs: { p50: quantile(floor, 0.5), p99: quantile(floor, 0.99) },
      claim,
      goals: [
        { goal: 'jobs/s through one object ≥ 1.5× the naive object', value: `${ratio.toFixed(2)}×`, met: ratio >= 1.5 },
        ...claim.map((c) => claimGoal('SQLite', c)),
      ],
    };
    return results;
  } finally {
    await worker.stop();
  }
}

/**
 * Times, from outside the object, requests that make 200 claim passes of
 * each kind against one requests that make none (the round trip), runs
 * interleaved; per pass = (request − round trip) / 200.
 */
export async function sqliteClaimCost(json: <T>(path: string) => Promise<T>, backlog: number, keys: number, runs: number): Promise<ClaimCost> {
  const object = `claim-${keys}-${Date.now()}`;
  await json(`/bench/claim/fill?n=${backlog}&keys=${keys}&object=${object}`);
  const passes = 200;
  const time = async (kind: string, n: number) => {
    const start = performance.now();
    const { reads } = await json<{ reads: number }>(`/bench/claim/run?kind=${kind}&n=${n}&object=${object}`);
    return { ms: performance.now() - start, reads };
  };
  await time('old', 20);
  await time('fair', 20);
  const old: number[] = [];
  const fair: number[] = [];
  let reads = 0;
  for (let run = 0; run < Math.max(5, runs); run++) {
    const trip = (await time('old', 0)).ms;
    old.push(((await time('old', passes)).ms - trip) / passes);
    const f = await time('fair', passes);
    fair.push((f.ms - trip) / passes);
    reads = f.reads;
  }
  return { backlog, keys, slots: 64, oldMs: median(old), newMs: median(fair), runs: old.length, reads };
}

export function claimGoal(storage: string, c: ClaimCost): { goal: string; value: string; met: boolean } {
  return {
    goal: `${storage}, ${c.backlog.toLocaleString('en')} ready, ${c.keys === 0 ? 'no fairness keys' : `${c.keys} fairness keys`}: a claim pass of ${c.slots} ≤ 1.2× 0.2's`,
    value: `${(c.newMs / c.oldMs).toFixed(2)}× (${c.newMs.toFixed(2)} vs ${c.oldMs.toFixed(2)} ms, ${c.reads} reads)`,
    met: c.newMs <= 1.2 * c.oldMs,
  };
}

export function printEdge(r: EdgeResults): void {
  console.log(
    table(
      ['system', 'jobs a run', 'jobs/s (median)', 'range'],
      r.throughput.map((t) => [
        t.system,
        String(t.jobs),
        Math.round(t.jobsPerSecond).toLocaleString('en'),
        `${Math.round(t.range[0])}–${Math.round(t.range[1])}`,
      ]),
    ),
  );
  console.log(
    `\nalarm lateness for delayed jobs: p50 ${r.alarmLatenessMs.p50} ms, p99 ${r.alarmLatenessMs.p99} ms, max ${r.alarmLatenessMs.max} ms (${r.alarmLatenessMs.samples} jobs)`,
  );
  console.log(
    `single submit over HTTP on loopback: p50 ${r.submitLatencyMs.p50.toFixed(2)} ms, p99 ${r.submitLatencyMs.p99.toFixed(2)} ms (${r.submitLatencyMs.samples} requests)`,
  );
  console.log(`  the same request stopped at the worker (401, no object): p50 ${r.workerFloorMs.p50.toFixed(2)} ms, p99 ${r.workerFloorMs.p99.toFixed(2)} ms`);
  printGoals(r.goals);
}
