/**
 * Scenario 8, the Durable Object backend. Both objects run no-op jobs
 * through submit → run → complete and report the time inside the object:
 * - BenchJobs: Baton's SchedulerObject (one SQLite batch per tick);
 * - NaiveJobs: the obvious object, one storage write per state change.
 * Alarm lateness and HTTP submit latency are measured through the same worker.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Handlers } from '@baton/core';
import { createApi, SchedulerObject, schedulerStub, SqliteStore, type EdgeSchedulerOptions } from '@baton/edge';
import { backlogRecords, fairPasses, insertBatch, oldPasses } from '../lib/claim-cost.ts';

export interface Env {
  BATON: DurableObjectNamespace<BenchJobs>;
  NAIVE: DurableObjectNamespace<NaiveJobs>;
  CLAIM: DurableObjectNamespace<ClaimCostObject>;
  BATON_TOKENS: string;
}

export class BenchJobs extends SchedulerObject<Env> {
  protected override configure(): EdgeSchedulerOptions<Handlers> {
    return { queues: { default: { concurrency: 32 } }, handlers: { noop: async () => null } };
  }

  /** Submits `n` jobs in one batch and resolves when all have succeeded; returns ms. */
  async throughput(n: number): Promise<number> {
    const start = Date.now();
    let left = n;
    const done = new Promise<void>((resolve) => {
      const off = this.scheduler.on('job.succeeded', () => {
        if (--left === 0) {
          off();
          resolve();
        }
      });
    });
    for (let i = 0; i < n; i += 1000) await this.scheduler.submitAll(Array.from({ length: Math.min(1000, n - i) }, () => ({ type: 'noop' }))); // LIMITS.batch
    await done;
    await this.scheduler.whenIdle();
    return Date.now() - start;
  }
}

/**
 * Claim passes at a deep backlog on this object's SQLite: the fair pass
 * against 0.2's single read. SQL runs synchronously and workerd's clock
 * stands still meanwhile, so bench/edge.ts times the requests from outside.
 */
export class ClaimCostObject extends DurableObject<Env> {
  private store: SqliteStore | null = null;
  private readonly turn = { key: null, served: 0, sole: false };

  async fill(backlog: number, keys: number): Promise<void> {
    this.store = new SqliteStore(this.ctx.storage, { prefix: 'bench_' });
    const records = backlogRecords(backlog, keys);
    for (let i = 0; i < records.length; i += 1000) await this.store.commit(insertBatch(records.slice(i, i + 1000)));
    // 0.2's claim index, beside the current one, on the same rows: only this benchmark has both.
    this.ctx.storage.sql.exec('CREATE INDEX IF NOT EXISTS bench_jobs_claim_v02 ON bench_jobs (queue, rank, id) WHERE rank IS NOT NULL');
  }

  /** `passes` passes of one kind; returns the reads of a fair pass. */
  async run(kind: 'old' | 'fair', passes: number): Promise<number> {
    if (kind === 'fair') return fairPasses(this.store!, passes, 64, this.turn);
    await oldPasses(
      async (limit) =>
        this.ctx.storage.sql
          .exec<{ record: string }>('SELECT record FROM bench_jobs WHERE queue = ? AND rank IS NOT NULL ORDER BY rank, id LIMIT ?', 'default', limit)
          .toArray()
          .map((r) => JSON.parse(r.record) as unknown),
      passes,
      64,
    );
    return 1;
  }
}

/** One KV write per state change, as most hand-written DO queues do. */
export class NaiveJobs extends DurableObject<Env> {
  async throughput(n: number): Promise<number> {
    const start = Date.now();
    const ids = Array.from({ length: n }, (_, i) => `job-${start}-${i}`);
    for (const id of ids) await this.ctx.storage.put(id, { state: 'ready' });
    const run = async (id: string) => {
      await this.ctx.storage.put(id, { state: 'running', startedAt: Date.now() });
      await this.ctx.storage.put(id, { state: 'succeeded', result: null });
    };
    for (let i = 0; i < ids.length; i += 32) await Promise.all(ids.slice(i, i + 32).map(run));
    return Date.now() - start;
  }
}

const api = createApi<Env>({ objects: (env) => env.BATON, tokens: (env) => env.BATON_TOKENS, queues: ['default'] });

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get('n') ?? 1000);
    const name = url.searchParams.get('object') ?? 'bench';
    if (url.pathname === '/bench/baton') return Response.json({ ms: await (env.BATON.get(env.BATON.idFromName(name)) as unknown as BenchJobs).throughput(n) });
    if (url.pathname === '/bench/naive') return Response.json({ ms: await (env.NAIVE.get(env.NAIVE.idFromName(name)) as unknown as NaiveJobs).throughput(n) });
    if (url.pathname === '/bench/claim/fill') {
      await (env.CLAIM.get(env.CLAIM.idFromName(name)) as unknown as ClaimCostObject).fill(n, Number(url.searchParams.get('keys') ?? 0));
      return Response.json({});
    }
    if (url.pathname === '/bench/claim/run') {
      const kind = url.searchParams.get('kind') === 'fair' ? 'fair' : 'old';
      return Response.json({ reads: await (env.CLAIM.get(env.CLAIM.idFromName(name)) as unknown as ClaimCostObject).run(kind, n) });
    }
    if (url.pathname === '/bench/delayed') {
      // n delayed jobs, spread over 1 s; lateness = start − due, read back from the records.
      const stub = schedulerStub(env.BATON, name);
      const submitted = await stub.submit(Array.from({ length: n }, (_, i) => ({ type: 'noop', delayMs: 100 + Math.round((i * 900) / n) })));
      if (!submitted.ok) return Response.json(submitted.error, { status: 500 });
      const done = await Promise.all(submitted.value.map((r) => stub.waitFor(r.job.id)));
      return Response.json({ latenessMs: done.map((j) => (j.ok ? j.value.startedAtMs! - j.value.runAtMs! : Number.NaN)) });
    }
    return api.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
