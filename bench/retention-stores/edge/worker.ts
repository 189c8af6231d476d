/**
 * The bounded-storage benchmark's Durable Object (bench/retention-stores.ts
 * drives it): Baton's SchedulerObject on its SQLite storage, fed no-op jobs
 * with a steady backlog. The run's settings are in the object's name (the
 * scheduler is made in the constructor). The driver advances the run a
 * chunk of jobs per request, and times it from outside. Rows and bytes are
 * sampled every `sampleEvery` finished jobs.
 */
import type { Handlers } from '@baton/core';
import { type EdgeSchedulerOptions, SchedulerObject } from '@baton/edge';
import { Feed, type RunResult, type RunSettings, type Sample, variantOptions } from '../shared.ts';

export interface Env {
  RETENTION: DurableObjectNamespace<RetentionJobs>;
}

/** `retention|<settings as JSON>|<run>`: what the driver names each run's object. */
function settingsOf(name: string | undefined): RunSettings {
  const json = name?.split('|')[1];
  if (json === undefined) throw new Error(`Expected an object named retention|<settings>|<run>, got ${name}`);
  return JSON.parse(json) as RunSettings;
}

export class RetentionJobs extends SchedulerObject<Env> {
  private feed: Feed | null = null;
  private samples: Sample[] = [];
  private sampleEvery = 5_000;
  private startMs = 0;
  /** Date.now() at each advance's start and end: the clock the scheduler reads. */
  private readonly clockSteps: Array<[number, number]> = [];

  protected override configure(): EdgeSchedulerOptions<Handlers> {
    const settings = settingsOf(this.ctx.id.name);
    return {
      queues: { default: { concurrency: settings.concurrency } },
      ...variantOptions(settings),
      handlers: {
        noop: async () => {
          this.finished();
          return null;
        },
      },
    };
  }

  private get settings(): RunSettings {
    return settingsOf(this.ctx.id.name);
  }

  private finished(): void {
    const feed = this.feed;
    // A job run by an object evicted and made again after the run (the wake-up job): nothing to feed.
    if (feed === null) return;
    feed.done();
    if (feed.completed % this.sampleEvery === 0) this.samples.push(this.sample());
  }

  private count(sql: string, ...bindings: unknown[]): number {
    return this.ctx.storage.sql.exec<{ n: number }>(sql, ...bindings).one().n;
  }

  private sample(): Sample {
    return {
      atMs: Date.now() - this.startMs,
      completed: this.feed?.completed ?? 0,
      jobs: this.count('SELECT COUNT(*) AS n FROM baton_jobs'),
      keys: this.count('SELECT COUNT(*) AS n FROM baton_idempotency'),
      bytes: this.ctx.storage.sql.databaseSize,
    };
  }

  /** Readies the feed; `sampleEvery` finished jobs between samples. */
  async start(sampleEvery: number): Promise<void> {
    this.sampleEvery = sampleEvery;
    this.startMs = Date.now();
    this.feed = new Feed(this.settings, (inputs) => {
      // A refused submit would leave the run waiting for ever: say why (BENCH_WRANGLER_LOG=log shows it).
      this.scheduler.submitAll(inputs).catch((error: unknown) => console.error(`[retention bench] submitAll failed: ${String(error)}`));
    });
    this.feed.cap = 0;
    // Submitted from the request that asks for them, never from a handler: all of a run inside one
    // long request (what a finished job refilling the backlog made of it) got the object reset mid-run.
    this.feed.refillOnDone = false;
  }

  /**
   * Runs jobs until `until` have finished, the backlog held by this request; resolves then (its jobs
   * drain at the end of each request: the same for every variant).
   */
  async advance(until: number): Promise<number> {
    const from = Date.now();
    const feed = this.feed!;
    feed.cap = until;
    while (feed.completed < until) {
      feed.fill();
      await feed.until(Math.min(until, feed.completed + this.settings.refill));
    }
    this.clockSteps.push([from, Date.now()]);
    return this.feed!.completed;
  }

  async idle(): Promise<void> {
    await this.scheduler.whenIdle();
  }

  private keysLeft(): { expiredKeys: number; overdueKeys: number } {
    const settings = this.settings;
    const now = Date.now();
    const expiredKeys = this.count('SELECT COUNT(*) AS n FROM baton_idempotency WHERE expires_at <= ?', now);
    // Expired, and their job finished long enough ago to have been swept with them, or gone.
    const overdueKeys = this.count(
      `SELECT COUNT(*) AS n FROM baton_idempotency i LEFT JOIN baton_jobs j ON j.id = i.job_id
       WHERE i.expires_at <= ? AND (j.id IS NULL OR json_extract(j.record, '$.finishedAtMs') + ? < ?)`,
      now,
      settings.retentionMs + 2 * settings.everyMs,
      now,
    );
    return { expiredKeys, overdueKeys };
  }

  /** At the end of the run: rows, bytes and keys left, and the samples (kept by the driver: the object may be evicted while idle). */
  async end(): Promise<{ end: Sample & { expiredKeys: number; overdueKeys: number }; samples: Sample[]; clockSteps: number; clockStoodStill: number }> {
    return {
      end: { ...this.sample(), ...this.keysLeft() },
      samples: this.samples,
      clockSteps: this.clockSteps.length,
      clockStoodStill: this.clockSteps.filter(([a, b]) => a === b).length,
    };
  }

  /** One more job, to wake an idle scheduler, once it has finished and the ticks it starts are done; whether the object was made again meanwhile. */
  async wake(): Promise<boolean> {
    const evicted = this.feed === null;
    const job = await this.scheduler.submit({ type: 'noop', payload: { i: -1 } });
    await this.scheduler.waitFor(job.job.id);
    await this.scheduler.whenIdle();
    return evicted;
  }

  /** What is left once woken (see `wake`), and the jobs the sweep deleted; then the object's storage is emptied. */
  async finish(): Promise<Pick<RunResult, 'settled' | 'swept'>> {
    const settled = { ...this.sample(), ...this.keysLeft() };
    const swept = (await this.scheduler.metrics()).deleted;
    await this.scheduler.stop();
    const result = { settled, swept };
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    return result;
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const name = url.searchParams.get('object');
    if (name === null) return new Response('object?', { status: 400 });
    const object = env.RETENTION.get(env.RETENTION.idFromName(name)) as unknown as RetentionJobs;
    const n = Number(url.searchParams.get('n') ?? 0);
    switch (url.pathname) {
      case '/start':
        await object.start(n);
        return Response.json({});
      case '/advance':
        return Response.json(await object.advance(n));
      case '/idle':
        await object.idle();
        return Response.json({});
      case '/end':
        return Response.json(await object.end());
      case '/wake':
        return Response.json({ evicted: await object.wake() });
      case '/finish':
        return Response.json(await object.finish());
    }
    return new Response('not found', { status: 404 });
  },
} satisfies ExportedHandler<Env>;
