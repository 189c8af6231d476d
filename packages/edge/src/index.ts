/**
 * Baton at the edge: `SchedulerObject` runs a scheduler in a Durable Object
 * on its SQLite storage (`SqliteStore`), with one alarm for every timer;
 * `createApi` is the HTTP API in front of those objects, with tenants.
 * Runs in Workers (it imports `cloudflare:workers`); the client is
 * `@baton/edge/client`.
 *
 * @module @baton/edge
 */
export { SqliteStore, type SqliteStorage, type SqliteStoreOptions } from './sqlite-store.ts';
export { AlarmClock, type AlarmStorage } from './alarm-clock.ts';
export { SchedulerObject, schedulerStub, jsonLines, type EdgeSchedulerOptions, type SchedulerRpc } from './scheduler-object.ts';
export { statusOf } from './http-status.ts';
export {
  createApi,
  objectName,
  DEFAULT_MAX_BODY_BYTES,
  MAX_BATCH,
  MAX_LIST_LIMIT,
  MAX_LIST_BYTES,
  MAX_WAIT_MS,
  type ApiOptions,
  type ApiVariables,
  type ApiLog,
} from './api.ts';
export { parseTokens, tokensOf, tenantForToken, tokenIdOf, MIN_TOKEN_CHARS, type TokenMap } from './auth.ts';
export { RequestGuard, DEFAULT_EDGE_LIMITS, type EdgeLimits } from './guard.ts';
export { openApiDocument } from './openapi.ts';
export { prometheusText } from './prometheus.ts';
export { jobSchema, batchSchema, waitBodySchema, listQuerySchema, type HttpJobInput, type WaitBody, type ListParams } from './schema.ts';
