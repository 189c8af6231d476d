import { hostScheduler } from '@baton/browser';

// Answers raw messages (the postMessage baseline) and hosts Baton (the Comlink API) on one port each.
const database = (globalThis as { name?: string }).name || 'baton-bench';
const { port1, port2 } = new MessageChannel();
hostScheduler({ database, queues: { default: { concurrency: 64 } }, keepSucceeded: false, handlers: { noop: async () => null } }, port1);
globalThis.postMessage({ kind: 'baton-port', port: port2 }, { transfer: [port2] });
globalThis.addEventListener('message', (e: MessageEvent) => {
  if (e.data?.kind === 'echo') globalThis.postMessage({ kind: 'echo', id: e.data.id });
});
