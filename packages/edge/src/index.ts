export { SqliteStore, type SqliteStorage, type SqliteStoreOptions } from './sqlite-store.ts';
export { AlarmClock, type AlarmStorage } from './alarm-clock.ts';
export { SchedulerObject, schedulerStub, type EdgeSchedulerOptions, type SchedulerRpc } from './scheduler-object.ts';
export { statusOf } from './http-status.ts';
export { createApi, objectName, DEFAULT_MAX_BODY_BYTES, MAX_BATCH, MAX_LIST_LIMIT, MAX_WAIT_MS, type ApiOptions } from './api.ts';
export { parseTokens, tenantOf, type TokenMap } from './auth.ts';
