import { resolveBackoff } from './backoff.ts';
import { ValidationError } from './errors.ts';
import { type JobInput, type RetryOptions, TimeoutPolicy } from './job.ts';
import { LIMITS } from './limits.ts';

/**
 * The checks every option and input goes through: each throws a
 * `ValidationError` that names the field and shows the bad value.
 */

/** The longest a shown value gets in a message: errors name bad input, they do not echo it back whole. */
const SHOWN_CHARS = 80;

/** A value as a message shows it: JSON where possible, cut to `SHOWN_CHARS`. */
export function show(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length <= SHOWN_CHARS ? text : `${text.slice(0, SHOWN_CHARS)}… (${text.length} characters)`;
}

/** A finite number from `min` up to `max`. */
export function number(field: string, value: unknown, min: number, integer = false, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value)) || !Number.isFinite(value)) {
    const kind = integer ? 'an integer' : 'a finite number';
    const range = max >= Number.MAX_SAFE_INTEGER ? `from ${min} and up` : `from ${min} to ${max}`;
    throw new ValidationError(field, `Expected \`${field}\` to be ${kind} ${range}, got ${show(value)}`);
  }
  return value;
}

/** A duration in ms, from `min` to `LIMITS.durationMs` (a year and a day). */
export function duration(field: string, value: unknown, min: number): number {
  return number(field, value, min, false, LIMITS.durationMs);
}

/** A non-empty string of at most `maxChars`. */
export function text(field: string, value: unknown, maxChars: number = LIMITS.nameChars): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxChars) {
    throw new ValidationError(field, `Expected \`${field}\` to be a non-empty string of at most ${maxChars} characters, got ${show(value)}`);
  }
  return value;
}

/** An array of at most `max` items. */
export function list(field: string, value: unknown, max: number, what: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new ValidationError(field, `Expected \`${field}\` to be an array of ${what}, got ${show(value)}`);
  if (value.length > max) throw new ValidationError(field, `Expected \`${field}\` to hold at most ${max} ${what}, got ${value.length}`);
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
    maxAttempts: number(`${field}.maxAttempts`, input.maxAttempts ?? defaults.maxAttempts, 1, true, LIMITS.maxAttempts),
    backoff: resolveBackoff(`${field}.backoff`, input.backoff, defaults.backoff),
    onTimeout,
  };
}
