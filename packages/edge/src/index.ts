export { SqliteStore, type SqliteStorage, type SqliteStoreOptions } from './sqlite-store.ts';
export { AlarmClock, type AlarmStorage } from './alarm-clock.ts';
export { SchedulerObject, type EdgeSchedulerOptions } from './scheduler-object.ts';
export { capture, statusOf, toErrorBody, type ErrorBody, type Result } from './result.ts';
