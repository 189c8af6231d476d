import { LIMITS } from './limits.ts';
import { ValidationError } from './errors.ts';
import type { Random } from './random.ts';

/** How delays grow from one retry to the next. */
export const BackoffKind = { constant: 'constant', linear: 'linear', exponential: 'exponential' } as const;
export type BackoffKind = (typeof BackoffKind)[keyof typeof BackoffKind];

/**
 * How a delay is randomised, so clients that failed together do not retry
 * together (AWS, "Exponential Backoff And Jitter"):
 * - `none`: the delay as computed;
 * - `full`: uniform in [0, delay];
 * - `equal`: delay/2 + uniform in [0, delay/2];
 * - `decorrelated`: uniform in [base, 3 × previous delay], capped.
 */
export const Jitter = { none: 'none', full: 'full', equal: 'equal', decorrelated: 'decorrelated' } as const;
export type Jitter = (typeof Jitter)[keyof typeof Jitter];

/** A backoff policy: plain data, stored with each job. */
export interface Backoff {
  /** @default 'exponential' */
  readonly kind: BackoffKind;
  /** The first delay (constant: every delay; linear: the step). @default 1000 */
  readonly delayMs: number;
  /** Growth per retry for `exponential`. @default 2 */
  readonly factor: number;
  /** No delay exceeds this. @default 300000 (5 min) */
  readonly maxDelayMs: number;
  /** @default 'full' */
  readonly jitter: Jitter;
  /**
   * More important work retries sooner: the delay is multiplied by
   * `1 + priorityScale × (4 − priority) / 4`, so with 0.5 a background job
   * waits 1.5× as long as a critical one. @default 0.5
   */
  readonly priorityScale: number;
}

export const DEFAULT_BACKOFF: Backoff = { kind: 'exponential', delayMs: 1000, factor: 2, maxDelayMs: 300_000, jitter: 'full', priorityScale: 0.5 };

export interface BackoffInput {
  /** Failed attempts so far, at least 1. */
  readonly failures: number;
  /** The previous retry delay, for decorrelated jitter. */
  readonly previousDelayMs: number | null;
  readonly priority: number;
  /** Extra stretch from the resource's health (adaptive backoff), at least 1. @default 1 */
  readonly stretch?: number;
}

/** The next delay. Pure: all chance comes from `random`. */
export function nextDelayMs(backoff: Backoff, input: BackoffInput, random: Random): number {
  const n = Math.max(1, input.failures);
  const cap = backoff.maxDelayMs;
  let base: number;
  switch (backoff.kind) {
    case 'constant':
      base = backoff.delayMs;
      break;
    case 'linear':
      base = backoff.delayMs * n;
      break;
    case 'exponential':
      // Exponent capped: past ~1e15 the cap has long been reached.
      base = backoff.delayMs * backoff.factor ** Math.min(n - 1, 50);
      break;
  }
  const scale = (1 + backoff.priorityScale * ((4 - input.priority) / 4)) * Math.max(1, input.stretch ?? 1);
  const v = Math.min(cap, base * scale);
  switch (backoff.jitter) {
    case 'none':
      return Math.round(v);
    case 'full':
      return Math.round(random.next() * v);
    case 'equal':
      return Math.round(v / 2 + random.next() * (v / 2));
    case 'decorrelated': {
      const low = Math.min(cap, backoff.delayMs * scale);
      const high = Math.max(low, Math.min(cap, 3 * (input.previousDelayMs ?? low)));
      return Math.round(low + random.next() * (high - low));
    }
  }
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length <= 80 ? text : `${text.slice(0, 80)}…`;
}

/** Fills in defaults and checks every field, naming the bad one. */
export function resolveBackoff(field: string, input: Partial<Backoff> | undefined, defaults: Backoff = DEFAULT_BACKOFF): Backoff {
  if (input === undefined) return defaults;
  if (input === null || typeof input !== 'object') throw new ValidationError(field, `Expected \`${field}\` to be an object, got ${show(input)}`);
  const kind = input.kind ?? defaults.kind;
  if (!Object.values(BackoffKind).includes(kind))
    throw new ValidationError(`${field}.kind`, `Expected \`${field}.kind\` to be "constant", "linear" or "exponential", got ${show(kind)}`);
  const jitter = input.jitter ?? defaults.jitter;
  if (!Object.values(Jitter).includes(jitter))
    throw new ValidationError(`${field}.jitter`, `Expected \`${field}.jitter\` to be "none", "full", "equal" or "decorrelated", got ${show(jitter)}`);
  const num = (name: keyof Backoff, min: number, max: number): number => {
    const value = input[name] ?? defaults[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new ValidationError(`${field}.${name}`, `Expected \`${field}.${name}\` to be a finite number from ${min} to ${max}, got ${show(value)}`);
    }
    return value;
  };
  const delayMs = num('delayMs', 0, LIMITS.durationMs);
  const maxDelayMs = num('maxDelayMs', 0, LIMITS.durationMs);
  if (maxDelayMs < delayMs)
    throw new ValidationError(`${field}.maxDelayMs`, `Expected \`${field}.maxDelayMs\` (${maxDelayMs}) to be at least \`delayMs\` (${delayMs})`);
  return { kind, delayMs, factor: num('factor', 1, LIMITS.backoffFactor), maxDelayMs, jitter, priorityScale: num('priorityScale', 0, 10) };
}
