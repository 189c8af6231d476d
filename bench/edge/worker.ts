/**
 * Scenario 8, the Durable Object backend. Both objects run no-op jobs
 * through submit → run → complete and report the time inside the object:
 * - BenchJobs: Baton's SchedulerObject (one SQLite batch per tick);
 * - NaiveJobs: the obvious object, one storage write per state change.
 * Alarm lateness and HTTP submit latency are measured through the same worker.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Handlers } from '@baton/core';
import { createApi, SchedulerObject, schedulerStub, type EdgeSchedulerOptions } from '@baton/edge';

export interface Env {
  BATON: DurableObjectNamespace<BenchJobs>;
  NAIVE: DurableObjectNamespace<NaiveJobs>;
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
    await this.scheduler.submitAll(Array.from({ length: n }, () => ({ type: 'noop' })));
    await done;
    await this.scheduler.whenIdle();
    return Date.now() - start;
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
