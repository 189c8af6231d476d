import { resolveBackoff } from './backoff.ts';
import { ValidationError } from './errors.ts';
import { type JobInput, type RetryOptions, TimeoutPolicy } from './job.ts';

/**
 * The checks every option and input goes through: each throws a
 * `ValidationError` that names the field and shows the bad value.
 */

export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function number(field: string, value: unknown, min: number, integer = false): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || (integer && !Number.isInteger(value)) || !Number.isFinite(value)) {
    const kind = integer ? 'an integer' : 'a finite number';
    throw new ValidationError(field, `Expected \`${field}\` to be ${kind} from ${min} and up, got ${show(value)}`);
  }
  return value;
}

export function text(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) {
    throw new ValidationError(field, `Expected \`${field}\` to be a non-empty string of at most 512 characters, got ${show(value)}`);
  }
  return value;
}

export function boolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ValidationError(field, `Expected \`${field}\` to be a boolean, got ${show(value)}`);
  return value;
}

/** A job's retry options, checked, with `defaults` for what it leaves out. */
export function resolveRetry(field: string, input: JobInput['retry'] | undefined, defaults: RetryOptions): RetryOptions {
  if (input === undefined) return defaults;
  if (input === null || typeof input !== 'object') throw new ValidationError(field, `Expected \`${field}\` to be an object, got ${show(input)}`);
  const onTimeout = input.onTimeout ?? defaults.onTimeout;
  if (!Object.values(TimeoutPolicy).includes(onTimeout)) {
    throw new ValidationError(`${field}.onTimeout`, `Expected \`${field}.onTimeout\` to be "retry", "escalate" or "fail", got ${show(onTimeout)}`);
  }
  return {
    maxAttempts: number(`${field}.maxAttempts`, input.maxAttempts ?? defaults.maxAttempts, 1, true),
    backoff: resolveBackoff(`${field}.backoff`, input.backoff, defaults.backoff),
    onTimeout,
  };
}
