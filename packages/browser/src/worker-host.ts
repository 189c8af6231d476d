import {
  capture,
  createRandom,
  createScheduler,
  createTimerClock,
  type Handlers,
  type JobInput,
  type JobRecord,
  type ListPage,
  type ListQuery,
  type MetricsSnapshot,
  type Result,
  type SchedulerEvent,
  type SchedulerOptions,
  type SubmitResult,
} from '@baton/core';
import { expose, type Endpoint } from 'comlink';
import { IdbStore } from './idb-store.ts';

export type WorkerSchedulerOptions<H extends Handlers> = Omit<SchedulerOptions<H>, 'store' | 'clock' | 'random'> & {
  /** The IndexedDB database. @default 'baton' */
  readonly database?: string;
};

/** What a page can ask of the scheduler in its worker. Errors come back as data (Comlink keeps only messages). */
export interface WorkerApi {
  submit(inputs: ReadonlyArray<JobInput<string, unknown>>): Promise<Result<SubmitResult[]>>;
  get(id: string): Promise<JobRecord | null>;
  list(query: ListQuery): Promise<ListPage>;
  cancel(id: string): Promise<Result<JobRecord>>;
  retry(id: string): Promise<Result<JobRecord>>;
  waitFor(id: string): Promise<Result<JobRecord>>;
  metrics(): Promise<MetricsSnapshot>;
  /** Calls `listener` with every scheduler event until `unsubscribe` is called with the returned id. */
  subscribe(listener: (event: SchedulerEvent) => void): Promise<number>;
  unsubscribe(id: number): Promise<void>;
}

/**
 * Runs a scheduler in this Worker, persisted in IndexedDB, and exposes it to
 * pages through Comlink. Call it once at the top of your worker module;
 * handlers live here, next to the work.
 *
 * @example
 * // jobs.worker.ts
 * hostScheduler({ handlers: { thumbnail: async (p: { url: string }) => makeThumbnail(p.url) } });
 */
export function hostScheduler<H extends Handlers>(options: WorkerSchedulerOptions<H>, endpoint: Endpoint = globalThis as unknown as Endpoint): WorkerApi {
  const { database, ...rest } = options;
  // Exposed at once, before the database is open: a page's first calls may
  // arrive right away, and a message sent before `expose` is lost.
  const ready = IdbStore.open({ name: database ?? 'baton' }).then((store) => {
    const scheduler = createScheduler({
      ...rest,
      store,
      clock: createTimerClock({ now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as number) }),
      random: createRandom(Math.random),
    } as SchedulerOptions<H>);
    scheduler.start();
    return scheduler;
  });
  const subscriptions = new Map<number, () => void>();
  let nextSubscription = 1;
  const api: WorkerApi = {
    submit: async (inputs) => capture(async () => (await ready).submitAll(inputs as never)),
    get: async (id) => (await (await ready).get(id)) ?? null,
    list: async (query) => (await ready).list(query),
    cancel: async (id) => capture(async () => (await ready).cancel(id)),
    retry: async (id) => capture(async () => (await ready).retry(id)),
    waitFor: async (id) => capture(async () => (await ready).waitFor(id)),
    metrics: async () => (await ready).metrics(),
    subscribe: async (listener) => {
      const scheduler = await ready;
      const id = nextSubscription++;
      // `job` is dropped from transition events: the page asks for a record when it wants one.
      subscriptions.set(id, scheduler.on('*', (event) => void listener('job' in event ? { ...event, job: undefined as never } : event)));
      return id;
    },
    unsubscribe: async (id) => {
      subscriptions.get(id)?.();
      subscriptions.delete(id);
    },
  };
  expose(api, endpoint);
  return api;
}
