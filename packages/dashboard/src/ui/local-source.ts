import type { Handlers, JobRecord, ListPage, SchedulerApi, SchedulerEvent } from '@baton/core';
import { type DashboardSource, feedEvent } from './source.ts';

/**
 * A scheduler in reach of the page: a `BatonClient` from `@baton/browser`'s
 * `connect()` (events through `subscribe`), or a `Scheduler` from
 * `@baton/core` running in the page itself (events through `on`).
 */
export interface LocalScheduler<H extends Handlers = Handlers> extends Pick<SchedulerApi<H>, 'metrics' | 'list' | 'get' | 'steps' | 'retry' | 'cancel'> {
  subscribe?(listener: (event: SchedulerEvent) => void): Promise<() => unknown>;
  on?(name: '*', listener: (event: SchedulerEvent) => void): () => void;
}

/** Unsubscribes, ignoring a failure: the connection may be closed already (the page is leaving). */
function quietly(unsubscribe: () => unknown): void {
  try {
    void Promise.resolve(unsubscribe()).catch(() => {});
  } catch {
    // closed already
  }
}

export interface LocalSourceOptions {
  /** The name the dashboard shows for the scheduler's jobs. @default 'default' */
  readonly queue?: string;
  /** Where the data comes from, for the header. @default 'this page' */
  readonly label?: string;
}

/**
 * The dashboard's data from a page's own scheduler: one queue, the whole
 * scheduler (its metrics are the scheduler's, so its lists are too).
 *
 * @example
 * const baton = connect(new Worker(new URL('./jobs.worker.ts', import.meta.url), { type: 'module' }));
 * mountDashboard(document.getElementById('jobs')!, localSource(baton));
 */
export function localSource<H extends Handlers>(typed: LocalScheduler<H>, options: LocalSourceOptions = {}): DashboardSource {
  // The dashboard shows any job as a plain record: its handler types do not matter here.
  const scheduler = typed as unknown as LocalScheduler<Handlers> & { list(query: object): Promise<ListPage<JobRecord>> };
  const name = options.queue ?? 'default';
  return {
    label: options.label ?? 'this page',
    queues: async () => [name],
    metrics: () => scheduler.metrics(),
    list: (_queue, query) => scheduler.list(query),
    get: (_queue, id) => scheduler.get(id),
    steps: (_queue, id) => scheduler.steps(id),
    retry: (_queue, id) => scheduler.retry(id),
    cancel: (_queue, id) => scheduler.cancel(id),
    events: (_queue, onEvent, onStatus) => {
      const listener = (event: SchedulerEvent) => onEvent(feedEvent(event));
      if (scheduler.subscribe !== undefined) {
        let closed = false;
        let off: (() => unknown) | null = null;
        onStatus?.({ state: 'connecting' });
        scheduler.subscribe(listener).then(
          (unsubscribe) => {
            if (closed) quietly(unsubscribe);
            else {
              off = unsubscribe;
              onStatus?.({ state: 'open' });
            }
          },
          (error: unknown) => onStatus?.({ state: 'closed', error: error instanceof Error ? error.message : String(error) }),
        );
        return () => {
          closed = true;
          if (off !== null) quietly(off);
        };
      }
      if (scheduler.on !== undefined) {
        const off = scheduler.on('*', listener);
        onStatus?.({ state: 'open' });
        return off;
      }
      onStatus?.({ state: 'closed', error: 'this scheduler offers no events' });
      return () => {};
    },
  };
}
