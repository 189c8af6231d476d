import { createClient, type QueueClient } from '@baton/edge/client';
import type { DashboardSource, FeedEvent } from './source.ts';
import { readEventStream } from './sse.ts';

export interface EdgeSourceOptions {
  /** The API's origin (the dashboard adds `/v1/...`), e.g. `https://jobs.example.com`. */
  readonly baseUrl: string;
  /** A bearer token of the API (`BATON_TOKENS`): its tenant's queues are shown. */
  readonly token: string;
  /**
   * The queues to offer. Without it, they are read from the API's public
   * OpenAPI document (`/v1/openapi.json`), which lists them.
   */
  readonly queues?: readonly string[];
  /** @default globalThis.fetch */
  readonly fetch?: (request: Request) => Promise<Response>;
  /** Reconnection delays of the event stream. @default { minDelayMs: 1000, maxDelayMs: 30000 } */
  readonly reconnect?: { readonly minDelayMs?: number; readonly maxDelayMs?: number; readonly idleMs?: number };
}

/** The queue names an OpenAPI document of the edge API declares (the `queue` path parameter's enum). */
export function queuesOfOpenApi(document: unknown): string[] {
  const paths = (document as { paths?: Record<string, Record<string, { parameters?: Array<{ name?: string; schema?: { enum?: unknown } }> }>> }).paths;
  for (const path of Object.values(paths ?? {})) {
    for (const operation of Object.values(path)) {
      for (const parameter of operation.parameters ?? []) {
        const names = parameter.schema?.enum;
        if (parameter.name === 'queue' && Array.isArray(names)) return names.filter((n): n is string => typeof n === 'string');
      }
    }
  }
  return [];
}

/**
 * The dashboard's data from the edge's HTTP API: `createClient` from
 * `@baton/edge/client` for the calls, and the event stream
 * (`GET /v1/queues/:queue/events`) read with `fetch`, since `EventSource`
 * cannot send the token, reconnecting with backoff when it drops.
 *
 * @example
 * const source = edgeSource({ baseUrl: 'https://jobs.example.com', token });
 * mountDashboard(document.getElementById('jobs')!, source);
 */
export function edgeSource(options: EdgeSourceOptions): DashboardSource {
  const base = options.baseUrl.replace(/\/+$/, '');
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const client = createClient({ baseUrl: base, token: options.token, fetch: send });
  const clients = new Map<string, QueueClient>();
  const queue = (name: string): QueueClient => {
    let q = clients.get(name);
    if (q === undefined) {
      q = client.queue(name);
      clients.set(name, q);
    }
    return q;
  };
  let discovered: Promise<readonly string[]> | null = null;

  return {
    label: base,
    queues: () => {
      if (options.queues !== undefined) return Promise.resolve(options.queues);
      discovered ??= send(new Request(`${base}/v1/openapi.json`))
        .then(async (response) => (response.ok ? queuesOfOpenApi(await response.json()) : []))
        .then((names) => (names.length > 0 ? names : ['default']))
        .catch((error: unknown) => {
          discovered = null;
          throw error;
        });
      return discovered;
    },
    metrics: (name) => queue(name).metrics(),
    list: (name, query) => queue(name).list(query),
    get: (name, id) => queue(name).get(id),
    steps: (name, id) => queue(name).steps(id),
    retry: (name, id) => queue(name).retry(id),
    cancel: (name, id) => queue(name).cancel(id),
    events: (name, onEvent, onStatus) =>
      readEventStream({
        url: `${base}/v1/queues/${encodeURIComponent(name)}/events`,
        headers: { authorization: `Bearer ${options.token}` },
        fetch: send,
        ...options.reconnect,
        onMessage: (message) => {
          if (!message.event.startsWith('job.')) return;
          try {
            onEvent(JSON.parse(message.data) as FeedEvent);
          } catch {
            // not JSON: not an event of ours
          }
        },
        ...(onStatus === undefined ? {} : { onStatus }),
      }),
  };
}
