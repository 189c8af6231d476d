/**
 * What each use case costs in bytes: the code a user's bundler ships for
 * Baton's browser worker, page client and edge worker, and for the core
 * alone, beside what they would otherwise ship for the same job (p-queue +
 * idb-keyval in a worker, Workbox's background-sync Queue, cockatiel's
 * retry, breaker and timeout). Bundled from the built packages with esbuild,
 * minified, ESM; raw and gzip bytes. Sizes do not vary between runs.
 */
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

export interface SizeRow {
  readonly useCase: string;
  readonly system: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Gzip bytes Baton's bundle may not exceed (the README's budget). */
  readonly budgetGzipBytes: number | null;
}

interface Entry {
  readonly useCase: string;
  readonly system: string;
  readonly code: string;
  /** `workerd` bundles with the conditions wrangler uses. */
  readonly runtime: 'browser' | 'workerd';
  readonly budgetGzipBytes?: number;
}

const ENTRIES: readonly Entry[] = [
  {
    useCase: 'browser worker',
    system: 'baton (hostScheduler on IndexedDB)',
    runtime: 'browser',
    budgetGzipBytes: 24_000,
    code: `import { hostScheduler } from '@baton/browser';
      hostScheduler({ database: 'app', handlers: { thumbnail: async (p) => p } });`,
  },
  {
    useCase: 'browser worker',
    system: 'p-queue + idb-keyval',
    runtime: 'browser',
    code: `import PQueue from 'p-queue'; import { get, set, del } from 'idb-keyval';
      const queue = new PQueue({ concurrency: 4 });
      self.onmessage = (e) => queue.add(async () => { await set(e.data.id, e.data); await get(e.data.id); await del(e.data.id); });`,
  },
  {
    useCase: 'page client',
    system: 'baton (connect + toEdge)',
    runtime: 'browser',
    budgetGzipBytes: 3_500,
    code: `import { connect, toEdge } from '@baton/browser';
      const baton = connect(new Worker('/jobs.worker.js', { type: 'module' }));
      baton.submit(toEdge({ type: 'email', payload: {} }, { key: 'k' }));`,
  },
  {
    useCase: 'page client',
    system: 'workbox-background-sync (Queue)',
    runtime: 'browser',
    code: `import { Queue } from 'workbox-background-sync';
      const queue = new Queue('outbox');
      queue.pushRequest({ request: new Request('/jobs', { method: 'POST' }) });`,
  },
  {
    useCase: 'edge worker',
    system: 'baton (SchedulerObject + createApi)',
    runtime: 'workerd',
    budgetGzipBytes: 34_000,
    code: `import { createApi, SchedulerObject } from '@baton/edge';
      export class Jobs extends SchedulerObject { configure() { return { handlers: { email: async (p) => p } }; } }
      export default createApi({ objects: (env) => env.JOBS, tokens: (env) => env.BATON_TOKENS, queues: ['default'] });`,
  },
  {
    useCase: 'edge worker',
    system: 'cockatiel (retry + breaker + timeout)',
    runtime: 'workerd',
    code: `import { ConsecutiveBreaker, ExponentialBackoff, circuitBreaker, handleAll, retry, timeout, TimeoutStrategy, wrap } from 'cockatiel';
      const policy = wrap(retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }), circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }), timeout(10_000, TimeoutStrategy.Aggressive));
      export default { fetch: (request) => policy.execute(() => fetch(request)) };`,
  },
  {
    useCase: 'core alone',
    system: 'baton (@baton/core/system createScheduler)',
    runtime: 'workerd',
    budgetGzipBytes: 20_000,
    code: `import { createScheduler } from '@baton/core/system';
      createScheduler({ handlers: { noop: async () => null } });`,
  },
];

async function measure(entry: Entry): Promise<SizeRow> {
  const out = await build({
    stdin: { contents: entry.code, resolveDir: new URL('.', import.meta.url).pathname, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    ...(entry.runtime === 'workerd' ? { conditions: ['workerd', 'worker', 'browser'] } : {}),
    target: 'es2022',
    external: ['cloudflare:workers'],
    write: false,
    logLevel: 'silent',
  });
  const bytes = out.outputFiles[0]!.contents;
  return {
    useCase: entry.useCase,
    system: entry.system,
    bytes: bytes.length,
    gzipBytes: gzipSync(bytes).length,
    budgetGzipBytes: entry.budgetGzipBytes ?? null,
  };
}

export async function runSizes(): Promise<SizeRow[]> {
  const rows: SizeRow[] = [];
  for (const entry of ENTRIES) rows.push(await measure(entry));
  return rows;
}

export function sizeGoals(rows: readonly SizeRow[]): Array<{ goal: string; value: string; met: boolean }> {
  return rows
    .filter((r) => r.budgetGzipBytes !== null)
    .map((r) => ({
      goal: `${r.useCase}: ${r.system} ≤ ${(r.budgetGzipBytes! / 1000).toFixed(0)} kB gzip`,
      value: `${(r.gzipBytes / 1000).toFixed(1)} kB`,
      met: r.gzipBytes <= r.budgetGzipBytes!,
    }));
}
