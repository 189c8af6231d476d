/**
 * The bounded-storage benchmark's Durable Object (bench/retention-stores.ts
 * drives it): Baton's SchedulerObject on its SQLite storage, fed no-op jobs
 * with a steady backlog. The run's settings are in the object's name (the
 * scheduler is made in the constructor). The driver advances the run a
 * chunk of jobs per request: inside one request workerd's clock stands
 * still, so each chunk is one step of the clock the retention sweep reads.
 * Rows and bytes are sampled every `sampleEvery` finished jobs.
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
    const feed = this.feed!;
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

  /** Starts feeding jobs; `sampleEvery` finished jobs between samples. */
  async start(sampleEvery: number): Promise<void> {
    this.sampleEvery = sampleEvery;
    this.startMs = Date.now();
    this.feed = new Feed(this.settings, (inputs) => void this.scheduler.submitAll(inputs));
    this.feed.fill();
  }

  /** Resolves once `until` jobs have finished. */
  async advance(until: number): Promise<number> {
    const from = Date.now();
    await this.feed!.until(until);
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

  /** At the end of the run: rows, bytes and keys left. */
  async end(): Promise<Sample & { expiredKeys: number; overdueKeys: number }> {
    return { ...this.sample(), ...this.keysLeft() };
  }

  /** One more job, to wake an idle scheduler, once it has finished and the ticks it starts are done. */
  async wake(): Promise<void> {
    await this.scheduler.submit({ type: 'noop', payload: { i: -1 } });
    await this.feed!.until(this.settings.jobs + 1);
    await this.scheduler.whenIdle();
  }

  /** The run's figures (`ms` and `end` are filled in by the driver), then the object's storage is emptied. */
  async finish(): Promise<RunResult & { clockSteps: number; clockStoodStill: number }> {
    const settings = this.settings;
    const settled = { ...this.sample(), ...this.keysLeft() };
    const swept = (await this.scheduler.metrics()).deleted;
    await this.scheduler.stop();
    const result = {
      variant: settings.variant,
      jobs: settings.jobs,
      ms: 0,
      samples: this.samples,
      end: settled,
      settled,
      swept,
      clockSteps: this.clockSteps.length,
      clockStoodStill: this.clockSteps.filter(([a, b]) => a === b).length,
    };
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
        await object.wake();
        return Response.json({});
      case '/finish':
        return Response.json(await object.finish());
    }
    return new Response('not found', { status: 404 });
  },
} satisfies ExportedHandler<Env>;
