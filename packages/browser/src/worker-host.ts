import { createScheduler, type Handlers, type JobInput, type Scheduler, type SchedulerEvent, type SchedulerOptions } from '@baton/core';
import { type SchedulerEndpoint, serveScheduler } from '@baton/core/advanced';
import { cronParser } from '@baton/core/cron';
import { systemClock, systemRandom } from '@baton/core/system';
import { expose, type Endpoint } from 'comlink';
import { IdbStore } from './idb-store.ts';

export type WorkerSchedulerOptions<H extends Handlers> = Omit<SchedulerOptions<H>, 'store' | 'clock' | 'random' | 'autoStart'> & {
  /** The IndexedDB database; also names the leadership lock and the channel. @default 'baton' */
  readonly database?: string;
};

/**
 * What a page can ask of the scheduler in its worker: the scheduler's
 * endpoint (errors come back as data: Comlink keeps only messages), plus
 * what only a worker host has.
 */
export interface WorkerApi extends SchedulerEndpoint {
  /** The page's view of the network (its `online`/`offline` events), for the leader's scheduler. */
  setOnline(online: boolean): Promise<void>;
  /** Whether this worker runs the scheduler (holds the lock) or forwards to the one that does. */
  role(): Promise<'leader' | 'follower'>;
  /** Calls `listener` with every scheduler event until `unsubscribe` is called with the returned id. */
  subscribe(listener: (event: SchedulerEvent) => void): Promise<number>;
  unsubscribe(id: number): Promise<void>;
}

type Method = keyof SchedulerEndpoint | 'setOnline';

/** How long a tab's forwarded submit is remembered by its request id: far longer than a leader change takes. */
const FORWARD_TTL_MS = 60 * 60 * 1000;

/**
 * A call forwarded from another tab, as the leader runs it. A submit gets
 * an idempotency key from the request's id (for each job without one), so
 * the same request run again (re-sent after a leader change, or run by the
 * forwarding tab once it leads) returns the jobs it made instead of making
 * them twice: the leader may have committed and died before answering.
 */
function forwarded(requestId: string, method: Method, arg: unknown): unknown {
  if (method !== 'submit') return arg;
  return (arg as ReadonlyArray<JobInput<string, unknown>>).map((input, i) =>
    input.idempotencyKey === undefined
      ? { ...input, idempotencyKey: `baton-forward:${requestId}:${i}`, idempotencyTtlMs: input.idempotencyTtlMs ?? FORWARD_TTL_MS }
      : input,
  );
}
type Message =
  | { readonly kind: 'request'; readonly id: string; readonly method: Method; readonly arg: unknown }
  | { readonly kind: 'response'; readonly id: string; readonly value: unknown }
  | { readonly kind: 'event'; readonly event: SchedulerEvent }
  | { readonly kind: 'leader' };

/**
 * Runs Baton in this Worker and exposes it to the page through Comlink.
 * Every worker of one database (one per tab) asks for the same Web Lock:
 * the holder runs the scheduler on IndexedDB; the others forward calls to
 * it over a BroadcastChannel and relay its events. When the leader's tab
 * closes, its lock passes to another worker, which opens the store, takes
 * over (jobs the old leader held are recovered after their lease) and
 * answers the calls that were waiting.
 *
 * @example
 * // jobs.worker.ts
 * hostScheduler({ database: 'my-app', handlers: { thumbnail: async (p: { url: string }) => makeThumbnail(p.url) } });
 */
export function hostScheduler<H extends Handlers>(options: WorkerSchedulerOptions<H>, endpoint: Endpoint = globalThis as unknown as Endpoint): WorkerApi {
  const { database = 'baton', ...rest } = options;
  const channel = new BroadcastChannel(`baton:${database}`);
  const listeners = new Map<number, (event: SchedulerEvent) => void>();
  const pending = new Map<string, { method: Method; arg: unknown; resolve: (value: unknown) => void }>();
  let scheduler: Scheduler<H> | null = null;
  let nextListener = 1;

  const deliver = (event: SchedulerEvent): void => {
    for (const listener of listeners.values()) listener(event);
  };

  let served: SchedulerEndpoint | null = null;
  const local = async (method: Method, arg: unknown): Promise<unknown> => {
    if (method === 'setOnline') return scheduler!.setOnline(arg as boolean);
    return (served![method] as (arg: unknown) => Promise<unknown>)(arg);
  };

  const call = (method: Method, arg: unknown): Promise<unknown> => {
    if (scheduler !== null) return local(method, arg);
    return new Promise((resolve) => {
      const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
      pending.set(id, { method, arg, resolve });
      channel.postMessage({ kind: 'request', id, method, arg } satisfies Message);
    });
  };

  channel.onmessage = (message: MessageEvent<Message>) => {
    const data = message.data;
    if (data.kind === 'request' && scheduler !== null) {
      void local(data.method, forwarded(data.id, data.method, data.arg)).then((value) =>
        channel.postMessage({ kind: 'response', id: data.id, value } satisfies Message),
      );
    } else if (data.kind === 'response') {
      pending.get(data.id)?.resolve(data.value);
      pending.delete(data.id);
    } else if (data.kind === 'event' && scheduler === null) {
      deliver(data.event);
    } else if (data.kind === 'leader') {
      // A new leader may have missed what was sent while there was none: send it again.
      for (const [id, request] of pending) channel.postMessage({ kind: 'request', id, method: request.method, arg: request.arg } satisfies Message);
    }
  };

  // Leadership: the lock is held for as long as this worker lives, or until its database connection closes
  // under it (another tab asked for a newer schema): then it steps down, and asks again, behind the others.
  const lead = (): void => {
    let stale = false;
    void navigator.locks
      .request(`baton:${database}`, async () => {
        // Holding the lock makes this worker the database's one writer.
        let store: IdbStore;
        try {
          store = await IdbStore.open({ name: database, exclusive: true });
        } catch (error) {
          // The database is at a newer schema than this code knows: a newer release leads.
          if (error instanceof DOMException && error.name === 'VersionError') {
            stale = true;
            return;
          }
          throw error;
        }
        const closed = new Promise<void>((resolve) => store.onClosed(resolve));
        const s = createScheduler({
          cron: cronParser,
          ...rest,
          store,
          clock: systemClock(),
          random: systemRandom(),
          // Started below, once it knows whether the network is up.
          autoStart: false,
        } as SchedulerOptions<H>);
        s.on('*', (event) => {
          // `job` is dropped from transition events: a page asks for a record when it wants one.
          const slim = 'job' in event ? { ...event, job: undefined as never } : event;
          deliver(slim);
          channel.postMessage({ kind: 'event', event: slim } satisfies Message);
        });
        // Offline is not failure: network jobs park without spending attempts and resume on reconnect.
        // Pages report their own events too (`connect` does): Chromium does not send a worker the
        // events of emulated connectivity, and a page is where users see the network change.
        s.setOnline(navigator.onLine);
        const online = () => s.setOnline(true);
        const offline = () => s.setOnline(false);
        globalThis.addEventListener('online', online);
        globalThis.addEventListener('offline', offline);
        s.start();
        scheduler = s;
        served = serveScheduler(s);
        channel.postMessage({ kind: 'leader' } satisfies Message);
        // Calls this worker forwarded to a leader that went away are answered here now.
        for (const [id, request] of pending) {
          pending.delete(id);
          void local(request.method, forwarded(id, request.method, request.arg)).then(request.resolve);
        }
        await closed;
        // Step down: calls go to whoever leads next; the jobs this scheduler ran are recovered after their leases.
        scheduler = null;
        served = null;
        globalThis.removeEventListener('online', online);
        globalThis.removeEventListener('offline', offline);
        await s.stop({ abort: true });
      })
      .then(
        () => {
          if (!stale) lead();
        },
        () => setTimeout(lead, 1_000),
      );
  };
  lead();

  const api: WorkerApi = {
    submit: (inputs) => call('submit', inputs) as ReturnType<WorkerApi['submit']>,
    get: (id) => call('get', id) as ReturnType<WorkerApi['get']>,
    list: (query) => call('list', query) as ReturnType<WorkerApi['list']>,
    cancel: (id) => call('cancel', id) as ReturnType<WorkerApi['cancel']>,
    retry: (id) => call('retry', id) as ReturnType<WorkerApi['retry']>,
    signal: (request) => call('signal', request) as ReturnType<WorkerApi['signal']>,
    schedule: (input) => call('schedule', input) as ReturnType<WorkerApi['schedule']>,
    schedules: () => call('schedules', undefined) as ReturnType<WorkerApi['schedules']>,
    pauseSchedule: (id) => call('pauseSchedule', id) as ReturnType<WorkerApi['pauseSchedule']>,
    resumeSchedule: (id) => call('resumeSchedule', id) as ReturnType<WorkerApi['resumeSchedule']>,
    unschedule: (id) => call('unschedule', id) as ReturnType<WorkerApi['unschedule']>,
    waitFor: (id) => call('waitFor', id) as ReturnType<WorkerApi['waitFor']>,
    metrics: () => call('metrics', undefined) as ReturnType<WorkerApi['metrics']>,
    steps: (id) => call('steps', id) as ReturnType<WorkerApi['steps']>,
    setOnline: async (online) => void (await call('setOnline', online)),
    role: async () => (scheduler === null ? 'follower' : 'leader'),
    subscribe: async (listener) => {
      const id = nextListener++;
      listeners.set(id, listener);
      return id;
    },
    unsubscribe: async (id) => {
      listeners.delete(id);
    },
  };
  // Exposed at once: a page's first calls may arrive before this worker
  // knows whether it leads, and Comlink drops messages sent before `expose`.
  expose(api, endpoint);
  return api;
}
