import type { Handlers } from './options.ts';
import type { JobOf, SchedulerApi, SchedulerEndpoint, SubmitResult } from './api.ts';
import type { JobInput, JobRecord } from './job.ts';
import { capture, unwrap } from './result.ts';
import type { ListPage } from './store.ts';

/** The endpoint a host exposes for a scheduler: errors captured as data. */
export function serveScheduler<H extends Handlers>(typed: SchedulerApi<H>): SchedulerEndpoint {
  const api = typed as unknown as SchedulerApi;
  return {
    submit: (inputs, options) => capture(() => api.submitAll(inputs as never, options)),
    get: (id) => capture(async () => (await api.get(id)) ?? null),
    list: (query) => capture(() => api.list(query)),
    cancel: (id, options) => capture(() => api.cancel(id, options)),
    retry: (id, options) => capture(() => api.retry(id, options)),
    signal: (request, options) => capture(() => api.signal(request.id, request.name, request.payload, options)),
    schedule: (input, options) => capture(() => api.schedule(input, options)),
    schedules: () => capture(() => api.schedules()),
    pauseSchedule: (id, options) => capture(() => api.pauseSchedule(id, options)),
    resumeSchedule: (id, options) => capture(() => api.resumeSchedule(id, options)),
    unschedule: (id, options) => capture(() => api.unschedule(id, options)),
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
    submit: async (input, options) => unwrap(await endpoint.submit([input as JobInput<string, unknown>], options))[0] as never,
    submitAll: async (inputs, options) => unwrap(await endpoint.submit(inputs as ReadonlyArray<JobInput<string, unknown>>, options)) as Array<SubmitResult<H>>,
    get: async (id) => (unwrap(await endpoint.get(id)) ?? undefined) as JobOf<H> | undefined,
    list: async (query = {}) => unwrap(await endpoint.list(query)) as ListPage<JobOf<H>>,
    cancel: async (id, options) => unwrap(await endpoint.cancel(id, options)) as JobOf<H>,
    retry: async (id, options) => unwrap(await endpoint.retry(id, options)) as JobOf<H>,
    signal: async (id, name, payload = null, options) => unwrap(await endpoint.signal({ id, name, payload }, options)) as JobOf<H>,
    schedule: async (input, options) => unwrap(await endpoint.schedule(input, options)),
    schedules: async () => unwrap(await endpoint.schedules()),
    pauseSchedule: async (id, options) => unwrap(await endpoint.pauseSchedule(id, options)),
    resumeSchedule: async (id, options) => unwrap(await endpoint.resumeSchedule(id, options)),
    unschedule: async (id, options) => unwrap(await endpoint.unschedule(id, options)),
    waitFor: async (job) => unwrap(await endpoint.waitFor(typeof job === 'string' ? job : job.id)) as JobRecord as never,
    metrics: async () => unwrap(await endpoint.metrics()),
    steps: async (id) => unwrap(await endpoint.steps(id)),
  };
}
