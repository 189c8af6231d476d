import { isBatonError } from '../errors.ts';

/** Minimal assertions, so the conformance suite runs under any test runner. */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function ok(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function equal<T>(actual: T, expected: T, message: string): void {
  if (!Object.is(actual, expected)) throw new AssertionError(`${message}: expected ${show(expected)}, got ${show(actual)}`);
}

export function deepEqual(actual: unknown, expected: unknown, message: string): void {
  const a = stable(actual);
  const e = stable(expected);
  if (a !== e) throw new AssertionError(`${message}:\n  expected ${e}\n  got      ${a}`);
}

/** Awaits `promise` and checks it rejects with a Baton error of `code`; returns the error. */
export async function rejects(promise: Promise<unknown>, code: string, message: string): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (isBatonError(error, code)) return error;
    throw new AssertionError(`${message}: expected a rejection with code ${code}, got ${show(error)}`);
  }
  throw new AssertionError(`${message}: expected a rejection with code ${code}, but it resolved`);
}

function stable(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

function show(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
