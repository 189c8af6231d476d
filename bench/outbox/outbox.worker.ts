import { edgeHandler, hostScheduler } from '@baton/browser';

const { database, edge } = JSON.parse((globalThis as { name?: string }).name ?? '{}') as { database: string; edge: { url: string; token: string } };

hostScheduler({
  database,
  queues: { default: { concurrency: 32 } },
  offlineRetryMs: 200,
  keepSucceeded: true,
  handlers: { edge: edgeHandler({ baseUrl: edge.url, token: edge.token, waitMs: 5_000 }) },
});
