export { IdbStore, SCHEMA_VERSION, type IdbStoreOptions } from './idb-store.ts';
export { connect, type BatonClient, type ConnectOptions, type StorageInfo } from './client.ts';
export { hostScheduler, type WorkerApi, type WorkerSchedulerOptions } from './worker-host.ts';
