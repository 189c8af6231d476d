export { SqliteStore, type SqliteStorage, type SqliteStoreOptions } from './sqlite-store.ts';
export { AlarmClock, type AlarmStorage } from './alarm-clock.ts';
export { SchedulerObject, schedulerStub, type EdgeSchedulerOptions, type SchedulerRpc } from './scheduler-object.ts';
export { capture, statusOf, toErrorBody, type ErrorBody, type Result } from './result.ts';
