export { IdbStore, SCHEMA_VERSION, type IdbStoreOptions } from './idb-store.ts';
export { connect, type BatonClient, type ConnectOptions, type StorageInfo } from './client.ts';
export { hostScheduler, type WorkerApi, type WorkerSchedulerOptions } from './worker-host.ts';
export { edgeHandler, toEdge, type EdgeJob, type EdgeOutcome, type OutboxOptions } from './outbox.ts';
