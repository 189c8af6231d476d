import { ErrorCode, isBatonError } from '@baton/core';

/**
 * Errors cross the Durable Object RPC boundary as data: an RPC rethrow keeps
 * only a message, and the API needs the code to pick a status.
 */
export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorBody };

export async function capture<T>(fn: () => Promise<T>): Promise<Result<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error: toErrorBody(error) };
  }
}

export function toErrorBody(error: unknown): ErrorBody {
  if (isBatonError(error)) {
    const field = (error as { field?: unknown }).field;
    return typeof field === 'string' ? { code: error.code, message: error.message, field } : { code: error.code, message: error.message };
  }
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

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
