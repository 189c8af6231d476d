/// <reference lib="webworker" />
import { Queue } from 'workbox-background-sync';

// Workbox's background-sync Queue, as an app would use it in its service
// worker. The bench enqueues the requests while the edge is unreachable and
// then calls `replayRequests()` itself: that is what the `sync` event runs,
// and calling it at the moment of reconnection is Workbox's best case.
declare const self: ServiceWorkerGlobalScope & { __WB_DISABLE_DEV_LOGS?: boolean };
self.__WB_DISABLE_DEV_LOGS = true;

const queue = new Queue('bench', { onSync: async () => {} /* replays only when the bench says */ });

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

type Message = { kind: 'enqueue'; url: string; token: string; entries: Array<{ key: string; seq: number }> } | { kind: 'replay' } | { kind: 'size' };

self.addEventListener('message', (event: ExtendableMessageEvent) => {
  const data = event.data as Message;
  const reply = (value: unknown) => event.ports[0]!.postMessage(value);
  event.waitUntil(
    (async () => {
      if (data.kind === 'enqueue') {
        for (const entry of data.entries) {
          const request = new Request(data.url, {
            method: 'POST',
            headers: { authorization: `Bearer ${data.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ type: 'append', payload: entry }),
          });
          await queue.pushRequest({ request });
        }
        reply({ size: await queue.size() });
      } else if (data.kind === 'replay') {
        try {
          await queue.replayRequests();
          reply({ ok: true, size: await queue.size() });
        } catch {
          reply({ ok: false, size: await queue.size() }); // stopped at the first network error
        }
      } else {
        reply({ size: await queue.size() });
      }
    })(),
  );
});
