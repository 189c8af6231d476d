import { DurableObject } from 'cloudflare:workers';
import {
  createScheduler,
  EventName,
  isTerminal,
  type Handler,
  type Handlers,
  type JobInput,
  type JobRecord,
  type ListPage,
  type ListQuery,
  type MetricsSnapshot,
  type Scheduler,
  type SchedulerEvent,
  type SchedulerOptions,
  type SubmitResult,
} from '@baton/core';
import { capture, type Result } from '@baton/core/advanced';
import { systemRandom } from '@baton/core/system';
import { AlarmClock } from './alarm-clock.ts';

import { SqliteStore } from './sqlite-store.ts';

export type EdgeSchedulerOptions<H extends Handlers> = Omit<SchedulerOptions<H>, 'store' | 'clock' | 'random' | 'autoStart'>;

/**
 * The object's RPC surface, as a caller sees it. (Workers' generated stub
 * types recurse through `Json` too deeply for the type checker; this is the
 * same surface, spelled out.)
 */
export interface SchedulerRpc {
  submit(inputs: ReadonlyArray<JobInput<string, unknown>>): Promise<Result<SubmitResult[]>>;
  get(id: string): Promise<JobRecord | null>;
  wait(id: string): Promise<JobRecord | null>;
  waitAny(ids: readonly string[], timeoutMs: number, all?: boolean): Promise<Array<JobRecord | null>>;
  list(query: ListQuery): Promise<ListPage>;
  cancel(id: string): Promise<Result<JobRecord>>;
  retry(id: string): Promise<Result<JobRecord>>;
  metrics(): Promise<MetricsSnapshot>;
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
  private readonly listeners = new Set<(event: SchedulerEvent) => void>();

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
    this.scheduler = createScheduler({
      ...options,
      handlers,
      store: new SqliteStore(ctx.storage),
      clock: this.clock,
      random: systemRandom(),
      // Started below, once the event relay is on.
      autoStart: false,
    });
    this.scheduler.on('*', (event) => {
      for (const listener of this.listeners) listener(event);
    });
    this.scheduler.start();
  }

  /** What this object runs: handlers, queues, retry defaults, leases. */
  protected abstract configure(): EdgeSchedulerOptions<Handlers>;

  /** The clock: the object's alarm over wall time. Tests may substitute time. */
  protected createClock(): AlarmClock {
    return new AlarmClock(this.ctx.storage);
  }

  override async alarm(): Promise<void> {
    this.clock.fire();
    await this.scheduler.whenIdle();
  }

  async submit(inputs: ReadonlyArray<JobInput<string, unknown>>): Promise<Result<SubmitResult[]>> {
    return capture(() => this.scheduler.submitAll(inputs as never));
  }

  async get(id: string): Promise<JobRecord | null> {
    return (await this.scheduler.get(id)) ?? null;
  }

  /** Resolves with the job once it has finished (or `null` if there is no such job). */
  async wait(id: string): Promise<JobRecord | null> {
    const result = await capture(() => this.scheduler.waitFor(id));
    return result.ok ? result.value : null;
  }

  /**
   * The jobs `ids` names (`null` for an unknown id) as soon as one of them
   * has finished (with `all`, once all have), or as they are when
   * `timeoutMs` is up: one long poll for many jobs.
   */
  async waitAny(ids: readonly string[], timeoutMs: number, all = false): Promise<Array<JobRecord | null>> {
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

  async list(query: ListQuery): Promise<ListPage> {
    return this.scheduler.list(query);
  }

  async cancel(id: string): Promise<Result<JobRecord>> {
    return capture(() => this.scheduler.cancel(id));
  }

  async retry(id: string): Promise<Result<JobRecord>> {
    return capture(() => this.scheduler.retry(id));
  }

  async metrics(): Promise<MetricsSnapshot> {
    return this.scheduler.metrics();
  }

  /** Server-sent events: every scheduler event of this object, as JSON. */
  override async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname !== '/events') return new Response('not found', { status: 404 });
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const encoder = new TextEncoder();
    const listener = (event: SchedulerEvent) => {
      const data =
        event.name === EventName.progress || event.name === EventName.stalled || event.name === EventName.deduplicated ? event : { ...event, job: undefined };
      writer.write(encoder.encode(`event: ${event.name}\ndata: ${JSON.stringify(data)}\n\n`)).catch(() => this.listeners.delete(listener));
    };
    this.listeners.add(listener);
    request.signal.addEventListener('abort', () => {
      this.listeners.delete(listener);
      void writer.close().catch(() => {});
    });
    void writer.write(encoder.encode(': connected\n\n'));
    return new Response(readable, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store' } });
  }
}

function settled(): void {}
