import type { Handlers } from './options.ts';
import type { JobOf, SchedulerApi, SchedulerEndpoint, SubmitResult } from './api.ts';
import type { JobInput, JobRecord } from './job.ts';
import { capture, unwrap } from './result.ts';
import type { ListPage } from './store.ts';

/** The endpoint a host exposes for a scheduler: errors captured as data. */
export function serveScheduler<H extends Handlers>(typed: SchedulerApi<H>): SchedulerEndpoint {
  const api = typed as unknown as SchedulerApi;
  return {
    submit: (inputs) => capture(() => api.submitAll(inputs as never)),
    get: (id) => capture(async () => (await api.get(id)) ?? null),
    list: (query) => capture(() => api.list(query)),
    cancel: (id) => capture(() => api.cancel(id)),
    retry: (id) => capture(() => api.retry(id)),
    waitFor: (id) => capture(() => api.waitFor(id)),
    metrics: () => capture(() => api.metrics()),
    steps: (id) => capture(() => api.steps(id)),
  };
}

/**
 * A typed `SchedulerApi` over a remote endpoint: errors rethrown as Baton
 * errors with their code, `null` back to `undefined`.
 */
export function useEndpoint<H extends Handlers = Handlers>(endpoint: SchedulerEndpoint): SchedulerApi<H> {
  return {
    submit: async (input) => unwrap(await endpoint.submit([input as JobInput<string, unknown>]))[0] as never,
    submitAll: async (inputs) => unwrap(await endpoint.submit(inputs as ReadonlyArray<JobInput<string, unknown>>)) as Array<SubmitResult<H>>,
    get: async (id) => (unwrap(await endpoint.get(id)) ?? undefined) as JobOf<H> | undefined,
    list: async (query = {}) => unwrap(await endpoint.list(query)) as ListPage<JobOf<H>>,
    cancel: async (id) => unwrap(await endpoint.cancel(id)) as JobOf<H>,
    retry: async (id) => unwrap(await endpoint.retry(id)) as JobOf<H>,
    waitFor: async (job) => unwrap(await endpoint.waitFor(typeof job === 'string' ? job : job.id)) as JobRecord as never,
    metrics: async () => unwrap(await endpoint.metrics()),
    steps: async (id) => unwrap(await endpoint.steps(id)),
  };
}
