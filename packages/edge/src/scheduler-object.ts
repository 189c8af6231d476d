import { DurableObject } from 'cloudflare:workers';
import {
  createScheduler,
  type Handler,
  type Handlers,
  isTerminal,
  type JobRecord,
  type Logger,
  type RequestOptions,
  type ScheduleInput,
  type Scheduler,
  type SchedulerEvent,
  type SchedulerOptions,
} from '@baton/core';
import { capture, type Result, type SchedulerEndpoint, serveScheduler } from '@baton/core/advanced';
import { cronParser } from '@baton/core/cron';
import { systemRandom } from '@baton/core/system';
import { AlarmClock } from './alarm-clock.ts';
import { eventStreams } from './event-stream.ts';
import { type EdgeLimits, RequestGuard } from './guard.ts';
import { SqliteStore } from './sqlite-store.ts';

export type EdgeSchedulerOptions<H extends Handlers> = Omit<SchedulerOptions<H>, 'store' | 'clock' | 'random' | 'autoStart'>;

/**
 * The object's RPC surface, as a caller sees it: the scheduler's endpoint
 * (errors as data, since RPC rethrows only a message), a long poll over many
 * jobs, and the event stream. (Workers' generated stub types recurse
 * through `Json` too deeply for the type checker; this is the same surface,
 * spelled out.)
 */
export interface SchedulerRpc extends SchedulerEndpoint {
  waitAny(ids: readonly string[], timeoutMs: number, all?: boolean): Promise<Result<Array<JobRecord | null>>>;
  fetch(request: Request): Promise<Response>;
}

/** The stub of the scheduler object named `name` in `namespace`. */
export function schedulerStub(namespace: DurableObjectNamespace, name: string): SchedulerRpc {
  return namespace.get(namespace.idFromName(name)) as unknown as SchedulerRpc;
}

/**
 * A Durable Object that runs one Baton scheduler on its SQLite storage.
 * Its one alarm carries the scheduler's one timer; jobs survive eviction
 * and resets, and a job whose attempt was cut off is recovered after its
 * lease. Extend it and say what it runs:
 *
 * @example
 * export class Jobs extends SchedulerObject<Env> {
 *   protected configure() {
 *     return { handlers: { email: async (p: { to: string }) => send(p.to) } };
 *   }
 * }
 */
export abstract class SchedulerObject<Env = unknown> extends DurableObject<Env> implements SchedulerRpc {
  protected readonly scheduler: Scheduler<Handlers>;
  protected readonly clock: AlarmClock;
  private readonly endpoint: SchedulerEndpoint;
  private readonly guard: RequestGuard;
  private readonly listeners = new Set<(event: SchedulerEvent) => void>();
  private readonly streams: (request: Request) => Promise<Response>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.clock = this.createClock();
    const options = this.configure();
    const handlers: Record<string, Handler> = {};
    // Keep the object alive while a handler runs and until its outcome is committed.
    for (const [type, handler] of Object.entries(options.handlers)) {
      handlers[type] = (payload, jobCtx) => {
        const running = Promise.resolve().then(() => handler(payload, jobCtx));
        this.ctx.waitUntil(running.then(settled, settled).then(() => this.scheduler.whenIdle()));
        return running;
      };
    }
    // tenant/queue, as the API names the object; JSON lines by default, each with the tenant and queue.
    const [tenant = null, queue = null] = ctx.id.name?.split('/') ?? [];
    this.scheduler = createScheduler({
      runner: `workerd ${ctx.id.name ?? ctx.id.toString()}`,
      logger: jsonLines({ tenant, queue }),
      cron: cronParser,
      ...options,
      handlers,
      store: new SqliteStore(ctx.storage),
      clock: this.clock,
      random: systemRandom(),
      // Started below, once the event relay is on.
      autoStart: false,
    });
    this.endpoint = serveScheduler(this.scheduler);
    this.guard = new RequestGuard(this.limits(), () => this.clock.now());
    this.streams = eventStreams(
      (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      { maxStreams: this.guard.limits.maxEventStreams, heartbeatMs: this.guard.limits.heartbeatMs },
    );
    this.scheduler.on('*', (event) => {
      for (const listener of this.listeners) listener(event);
    });
    this.scheduler.start();
  }

  /**
   * What this object runs: handlers, queues, retry defaults, leases,
   * instrumentation. Called from the base class's constructor, before your
   * subclass's own fields are set: make what it needs here (`this.env` and
   * `this.ctx` are ready).
   */
  protected abstract configure(): EdgeSchedulerOptions<Handlers>;

  /** How much this object takes before refusing: requests per second, storage, event streams. */
  protected limits(): EdgeLimits {
    return {};
  }

  /** The clock: the object's alarm over wall time. Tests may substitute time. */
  protected createClock(): AlarmClock {
    return new AlarmClock(this.ctx.storage);
  }

  override async alarm(): Promise<void> {
    this.clock.fire();
    await this.scheduler.whenIdle();
  }

  /** Every call takes a turn from the rate limit first: a refusal is an answer like any other. */
  private guarded<T>(call: () => Promise<Result<T>>): Promise<Result<T>> {
    const refused = this.guard.admit();
    return refused === null ? call() : Promise.resolve({ ok: false, error: refused });
  }

  submit(inputs: Parameters<SchedulerEndpoint['submit']>[0], options?: RequestOptions): ReturnType<SchedulerEndpoint['submit']> {
    return this.guarded(() => {
      const full = this.guard.room(this.ctx.storage.sql.databaseSize);
      return full === null ? this.endpoint.submit(inputs, options) : Promise.resolve({ ok: false, error: full });
    });
  }

  get(id: string): ReturnType<SchedulerEndpoint['get']> {
    return this.guarded(() => this.endpoint.get(id));
  }

  list(query: Parameters<SchedulerEndpoint['list']>[0]): ReturnType<SchedulerEndpoint['list']> {
    return this.guarded(() => this.endpoint.list(query));
  }

  cancel(id: string, options?: RequestOptions): ReturnType<SchedulerEndpoint['cancel']> {
    return this.guarded(() => this.endpoint.cancel(id, options));
  }

  retry(id: string, options?: RequestOptions): ReturnType<SchedulerEndpoint['retry']> {
    return this.guarded(() => this.endpoint.retry(id, options));
  }

  signal(request: Parameters<SchedulerEndpoint['signal']>[0], options?: RequestOptions): ReturnType<SchedulerEndpoint['signal']> {
    return this.guarded(() => this.endpoint.signal(request, options));
  }

  schedule(input: ScheduleInput, options?: RequestOptions): ReturnType<SchedulerEndpoint['schedule']> {
    return this.guarded(() => this.endpoint.schedule(input, options));
  }

  schedules(): ReturnType<SchedulerEndpoint['schedules']> {
    return this.guarded(() => this.endpoint.schedules());
  }

  pauseSchedule(id: string, options?: RequestOptions): ReturnType<SchedulerEndpoint['pauseSchedule']> {
    return this.guarded(() => this.endpoint.pauseSchedule(id, options));
  }

  resumeSchedule(id: string, options?: RequestOptions): ReturnType<SchedulerEndpoint['resumeSchedule']> {
    return this.guarded(() => this.endpoint.resumeSchedule(id, options));
  }

  unschedule(id: string, options?: RequestOptions): ReturnType<SchedulerEndpoint['unschedule']> {
    return this.guarded(() => this.endpoint.unschedule(id, options));
  }

  /** Resolves once the job has finished (held as long as the caller waits). */
  waitFor(id: string): ReturnType<SchedulerEndpoint['waitFor']> {
    return this.guarded(() => this.endpoint.waitFor(id));
  }

  metrics(): ReturnType<SchedulerEndpoint['metrics']> {
    return this.guarded(() => this.endpoint.metrics());
  }

  steps(id: string): ReturnType<SchedulerEndpoint['steps']> {
    return this.guarded(() => this.endpoint.steps(id));
  }

  /**
   * The jobs `ids` names (`null` for an unknown id) as soon as one of them
   * has finished (with `all`, once all have), or as they are when
   * `timeoutMs` is up: one long poll for many jobs.
   */
  waitAny(ids: readonly string[], timeoutMs: number, all = false): Promise<Result<Array<JobRecord | null>>> {
    return this.guarded(() => capture(() => this.waitForAny(ids, timeoutMs, all)));
  }

  private async waitForAny(ids: readonly string[], timeoutMs: number, all: boolean): Promise<Array<JobRecord | null>> {
    const read = () => Promise.all(ids.map(async (id) => (await this.scheduler.get(id)) ?? null));
    const now = await read();
    const open = now.filter((r): r is JobRecord => r !== null && !isTerminal(r.state));
    if ((!all && open.length < now.length) || open.length === 0 || timeoutMs <= 0) return now;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const waits = open.map((r) => capture(() => this.scheduler.waitFor(r.id)));
    const up = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race(all ? [Promise.all(waits), up] : [...waits, up]);
    if (timer !== null) clearTimeout(timer);
    return read();
  }

  /** Server-sent events at `/events`: every scheduler event of this object, as JSON, with a heartbeat. */
  override async fetch(request: Request): Promise<Response> {
    const refused = this.guard.admit();
    if (refused !== null)
      return Response.json({ error: refused }, { status: 429, headers: { 'retry-after': String(Math.ceil((refused.retryAfterMs ?? 1000) / 1000)) } });
    return this.streams(request);
  }
}

function settled(): void {}

/** Log records as JSON lines on the console, info and up, with `fields` on each (the object's tenant and queue). */
export function jsonLines(fields: Readonly<Record<string, unknown>>): Logger {
  const line = (level: string) => (message: string, record: Readonly<Record<string, unknown>>) =>
    console.log(
      JSON.stringify({ level, message, ...fields, ...record }, (_key, value: unknown) =>
        value instanceof Error ? { name: value.name, message: value.message } : value,
      ),
    );
  return { info: line('info'), warn: line('warn'), error: line('error') };
}
