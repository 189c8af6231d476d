/**
 * Runs in Chromium (bench/outbox.ts drives it): 1,000 requests queued while
 * the edge is unreachable, then drained after reconnection, by Baton's
 * outbox (in a worker) and by Workbox's background-sync Queue (in a service
 * worker), against the same `wrangler dev` behind the same chaos proxy.
 */
import { connect, toEdge } from '@baton/browser';

interface Edge {
  readonly url: string;
  readonly token: string;
}
type Chaos = { mode: 'up' | 'down' } | { mode: 'flaky'; cutRequest: number; loseAnswer: number; seed: number };
export interface DrainResult {
  readonly system: 'baton' | 'workbox';
  readonly network: 'clean' | 'flapping';
  readonly jobs: number;
  readonly drainMs: number;
  /** Entries that never ran at the edge. */
  readonly lost: number;
  /** Extra executions at the edge. */
  readonly duplicates: number;
  readonly inOrderPerKey: boolean;
  /** Workbox: how often its replay stopped at a network error and had to be started again. */
  readonly restarts: number;
}

declare global {
  interface Window {
    runOutbox(options: { edge: Edge; jobs: number; keys: number; runs: number; flaky: Chaos }): Promise<DrainResult[]>;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function chaos(edge: Edge, mode: Chaos): Promise<void> {
  await fetch(`${edge.url}/__chaos`, { method: 'POST', body: JSON.stringify(mode) });
}

async function ledger(edge: Edge, prefix: string): Promise<Array<{ key: string; seq: number }>> {
  const res = await fetch(`${edge.url}/v1/queues/default/ledger?prefix=${encodeURIComponent(prefix)}`, { headers: { authorization: `Bearer ${edge.token}` } });
  return res.json();
}

function entries(prefix: string, jobs: number, keys: number) {
  return Array.from({ length: jobs }, (_, i) => ({ key: `${prefix}/k${i % keys}`, seq: Math.floor(i / keys) }));
}

async function check(edge: Edge, prefix: string, sent: Array<{ key: string; seq: number }>) {
  await chaos(edge, { mode: 'up' });
  // Accepted is not yet run: give the edge a moment to finish what it holds.
  let seen = await ledger(edge, prefix);
  for (let waited = 0; new Set(seen.map((e) => `${e.key}#${e.seq}`)).size < sent.length && waited < 10_000; waited += 100) {
    await sleep(100);
    seen = await ledger(edge, prefix);
  }
  const count = new Map<string, number>();
  for (const e of seen) count.set(`${e.key}#${e.seq}`, (count.get(`${e.key}#${e.seq}`) ?? 0) + 1);
  const lost = sent.filter((e) => !count.has(`${e.key}#${e.seq}`)).length;
  const duplicates = [...count.values()].reduce((n, c) => n + c - 1, 0);
  const last = new Map<string, number>();
  let inOrderPerKey = true;
  for (const e of seen) {
    if ((last.get(e.key) ?? -1) > e.seq) inOrderPerKey = false;
    last.set(e.key, e.seq);
  }
  return { lost, duplicates, inOrderPerKey };
}

function ask(sw: ServiceWorker, message: unknown): Promise<{ ok?: boolean; size: number }> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = (e) => resolve(e.data);
    sw.postMessage(message, [port2]);
  });
}

window.runOutbox = async ({ edge, jobs, keys, runs, flaky }) => {
  const registration = await navigator.serviceWorker.register('/sw.ts', { type: 'module' });
  await navigator.serviceWorker.ready;
  const sw = registration.active!;
  const worker = new Worker(new URL('./outbox.worker.ts', import.meta.url), {
    type: 'module',
    name: JSON.stringify({ database: `outbox-${Date.now()}`, edge }),
  });
  const baton = connect(worker);
  await baton.role();
  const results: DrainResult[] = [];

  for (let run = 0; run < runs; run++) {
    for (const network of ['clean', 'flapping'] as const) {
      const after: Chaos = network === 'clean' ? { mode: 'up' } : ({ ...flaky, seed: flaky.mode === 'flaky' ? flaky.seed + run : 0 } as Chaos);

      // Baton: queued while the edge is unreachable (every try parks them), drained after reconnection.
      {
        const prefix = `baton-${network}-${run}-${Date.now()}`;
        const sent = entries(prefix, jobs, keys);
        await chaos(edge, { mode: 'down' });
        const before = (await baton.metrics()).depth.succeeded.total;
        await baton.submitAll(sent.map((e) => toEdge({ type: 'append', payload: e }, { key: e.key })));
        await sleep(500);
        await chaos(edge, after);
        const start = performance.now();
        dispatchEvent(new Event('online')); // reconnection, as the page hears it
        while ((await baton.metrics()).depth.succeeded.total - before < jobs) await sleep(10);
        const drainMs = performance.now() - start;
        results.push({ system: 'baton', network, jobs, drainMs, restarts: 0, ...(await check(edge, prefix, sent)) });
      }

      // Workbox: the same requests in its Queue, replayed after reconnection; a replay that stops at a
      // network error is started again at once (a real browser waits for its next sync event: minutes).
      {
        const prefix = `workbox-${network}-${run}-${Date.now()}`;
        const sent = entries(prefix, jobs, keys);
        await chaos(edge, { mode: 'down' });
        await ask(sw, { kind: 'enqueue', url: `${edge.url}/v1/queues/default/jobs`, token: edge.token, entries: sent });
        await chaos(edge, after);
        const start = performance.now();
        let restarts = 0;
        for (;;) {
          const { ok, size } = await ask(sw, { kind: 'replay' });
          if (ok && size === 0) break;
          restarts++;
        }
        const drainMs = performance.now() - start;
        results.push({ system: 'workbox', network, jobs, drainMs, restarts, ...(await check(edge, prefix, sent)) });
      }
    }
  }
  baton.close();
  worker.terminate();
  return results;
};
