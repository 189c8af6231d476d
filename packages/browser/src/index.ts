export { IdbStore, SCHEMA_VERSION, type IdbStoreOptions } from './idb-store.ts';
