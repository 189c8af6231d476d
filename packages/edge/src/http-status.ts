import { ErrorCode } from '@baton/core';

/** The HTTP status for an error code. */
export function statusOf(code: ErrorCode | (string & {})): 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503 | 507 {
  switch (code) {
    case ErrorCode.validation:
    case ErrorCode.dependencyCycle:
    case ErrorCode.badJson:
      return 400;
    case ErrorCode.unauthorized:
      return 401;
    case ErrorCode.forbidden:
      return 403;
    case ErrorCode.unknownJob:
    case ErrorCode.unknownSchedule:
    case ErrorCode.unknownQueue:
    case ErrorCode.notFound:
      return 404;
    case ErrorCode.idempotencyConflict:
    case ErrorCode.illegalTransition:
    case ErrorCode.dependencyFailed:
    case ErrorCode.storeConflict:
      return 409;
    case ErrorCode.tooLarge:
      return 413;
    case ErrorCode.unsupportedMediaType:
      return 415;
    case ErrorCode.rateLimited:
    case ErrorCode.queueFull:
    case ErrorCode.tooManyStreams:
      return 429;
    case ErrorCode.stopped:
      return 503;
    case ErrorCode.storageFull:
    case ErrorCode.quotaExceeded:
      return 507;
    default:
      return 500;
  }
}
