import { BatonError, isBatonError, ValidationError } from './errors.ts';

/**
 * Errors cross thread and RPC boundaries as data: a Durable Object RPC or a
 * Comlink call rethrows only a message, and callers need the code.
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

/** Turns an error body back into a thrown Baton error, so `isBatonError(e, code)` holds on the caller's side. */
export function fromErrorBody(body: ErrorBody): BatonError {
  return body.field !== undefined ? new ValidationError(body.field, body.message) : new BatonError(body.code, body.message);
}

/** The value, or the error thrown again. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw fromErrorBody(result.error);
}
