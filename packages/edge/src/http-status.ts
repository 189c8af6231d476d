import { ErrorCode } from '@baton/core';

/** The HTTP status for an error code. */
export function statusOf(code: string): 400 | 401 | 403 | 404 | 409 | 413 | 415 | 500 | 503 {
  switch (code) {
    case ErrorCode.validation:
    case ErrorCode.dependencyCycle:
    case 'bad-json':
      return 400;
    case 'unauthorized':
      return 401;
    case 'forbidden':
      return 403;
    case ErrorCode.unknownJob:
    case 'unknown-queue':
    case 'not-found':
      return 404;
    case ErrorCode.idempotencyConflict:
    case ErrorCode.illegalTransition:
    case ErrorCode.storeConflict:
      return 409;
    case 'too-large':
      return 413;
    case 'unsupported-media-type':
      return 415;
    case ErrorCode.stopped:
      return 503;
    default:
      return 500;
  }
}
