import type { Handlers, Instrumentation, SchedulerApi, SchedulerEvent, SubmittedJob, TraceContext } from '@baton/core';
import { useEndpoint } from '@baton/core/advanced';
import { proxy, releaseProxy, type Remote, wrap } from 'comlink';
import type { WorkerApi } from './worker-host.ts';

/**
 * The page's handle on a scheduler running in a Worker: the scheduler's
 * API, typed by the worker's handler map, plus what a page needs besides.
 */
export interface BatonClient<H extends Handlers = Handlers> extends SchedulerApi<H> {
  /** Whether this worker runs the scheduler or forwards to the tab that does. */
  role(): Promise<'leader' | 'follower'>;
  /**
   * Tells the scheduler whether the network is up, when the page knows
   * better than the browser's `online`/`offline` events (which `connect`
   * passes on by itself). Back online, parked jobs run at once.
   */
  setOnline(online: boolean): Promise<void>;
  /** Every scheduler event, as it happens. Returns the unsubscribe function. */
  subscribe(listener: (event: SchedulerEvent) => void): Promise<() => Promise<void>>;
  /** Where the jobs live: whether the browser granted persistent storage, and the origin's usage and quota. */
  storage(): Promise<StorageInfo>;
  /** Releases the connection (the worker keeps running). */
  close(): void;
}

export interface StorageInfo {
  /** Granted persistent storage: the browser will not evict the jobs under storage pressure. */
  readonly persisted: boolean;
  readonly usageBytes: number;
  readonly quotaBytes: number;
}

export interface ConnectOptions {
  /**
   * Ask the browser to keep this origin's storage (`navigator.storage.persist()`,
   * which only a page may call): without it, queued jobs can be evicted under
   * storage pressure. Browsers decide by their own rules (Chromium: site
   * engagement, installed apps); `storage()` says what was granted. @default true
   */
  readonly persist?: boolean;
  /**
   * Tracing on the page's side (`otel()` from `@baton/otel`): a submit is a
   * span of the page's, and jobs submitted without a `trace` carry its
   * context to the worker, so the page, the worker and the edge share one
   * trace.
   */
  readonly instrumentation?: Pick<Instrumentation, 'currentTrace' | 'submit'>;
}

/**
 * Connects a page to the scheduler a Worker hosts with `hostScheduler`.
 * Give it the worker's handler map as a type, and payloads and results are
 * typed as in the worker. Errors are rethrown as Baton errors with their
 * `code` (and `field`); a full quota rejects a submit with `storage-full`
 * and stores none of it.
 *
 * @example
 * // jobs.worker.ts: export const handlers = { thumbnail: async (p: { url: string }) => makeThumbnail(p.url) };
 * const baton = connect<typeof handlers>(new Worker(new URL('./jobs.worker.ts', import.meta.url), { type: 'module' }));
 * const { job } = await baton.submit({ type: 'thumbnail', payload: { url } });
 * const done = await baton.waitFor(job); // done.result: what makeThumbnail returns
 */
export function connect<H extends Handlers = Handlers>(worker: Worker | MessagePort, options: ConnectOptions = {}): BatonClient<H> {
  if (options.persist ?? true) void navigator.storage?.persist?.().catch(() => false);
  // One long-lived proxy: a transient one can be collected mid-call and hang it (comlink#692).
  const remote: Remote<WorkerApi> = wrap<WorkerApi>(worker);
  // The page hears connectivity changes first (and, under emulation, only it does): pass them on.
  const online = () => void remote.setOnline(true);
  const offline = () => void remote.setOnline(false);
  globalThis.addEventListener?.('online', online);
  globalThis.addEventListener?.('offline', offline);
  const api = traced(useEndpoint<H>(remote as unknown as WorkerApi), options.instrumentation);
  return {
    ...api,
    role: () => remote.role(),
    setOnline: (online) => remote.setOnline(online),
    subscribe: async (listener) => {
      const callback = proxy(listener);
      const id = await remote.subscribe(callback);
      return async () => {
        await remote.unsubscribe(id);
        // Proxied callbacks hold their ports until released (comlink#63).
        (callback as unknown as { [releaseProxy]?: () => void })[releaseProxy]?.();
      };
    },
    storage: async () => {
      const [persisted, estimate] = await Promise.all([navigator.storage.persisted(), navigator.storage.estimate()]);
      return { persisted, usageBytes: estimate.usage ?? 0, quotaBytes: estimate.quota ?? 0 };
    },
    close: () => {
      globalThis.removeEventListener?.('online', online);
      globalThis.removeEventListener?.('offline', offline);
      remote[releaseProxy]();
    },
  };
}

/** `api` with its submits inside the page's submit span, and jobs without a trace given the page's context. */
function traced<H extends Handlers>(api: SchedulerApi<H>, instrumentation: Pick<Instrumentation, 'currentTrace' | 'submit'> | undefined): SchedulerApi<H> {
  if (instrumentation === undefined) return api;
  const withTrace = <T extends { readonly trace?: TraceContext }>(inputs: readonly T[]): T[] => {
    const current = instrumentation.currentTrace?.();
    return current === undefined ? [...inputs] : inputs.map((input) => (input.trace === undefined ? { ...input, trace: current } : input));
  };
  const around = <T>(inputs: ReadonlyArray<SubmittedJob>, run: () => Promise<T>): Promise<T> =>
    instrumentation.submit === undefined ? run() : instrumentation.submit(inputs, run);
  return {
    ...api,
    submit: (input, options) => around([input as SubmittedJob], () => api.submit(withTrace([input])[0]!, options)),
    submitAll: (inputs, options) => around(inputs as ReadonlyArray<SubmittedJob>, () => api.submitAll(withTrace(inputs), options)),
  };
}
