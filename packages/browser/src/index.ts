/**
 * Baton in the browser: `hostScheduler` runs a scheduler on IndexedDB in a
 * Web Worker (one leader per database across tabs, by Web Lock), `connect`
 * is the page's client over Comlink, `IdbStore` the store, and
 * `edgeHandler` / `toEdge` the outbox that delivers jobs to the edge
 * exactly once in effect.
 *
 * @module @baton/browser
 */
export { IdbStore, SCHEMA_VERSION, type IdbStoreOptions } from './idb-store.ts';
export { connect, type BatonClient, type ConnectOptions, type StorageInfo } from './client.ts';
export { hostScheduler, type WorkerApi, type WorkerSchedulerOptions } from './worker-host.ts';
export { edgeHandler, toEdge, type EdgeJob, type EdgeOutcome, type OutboxOptions } from './outbox.ts';
