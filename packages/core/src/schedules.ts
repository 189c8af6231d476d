import { ValidationError } from './errors.ts';
import type { JobInput, Json } from './job.ts';
import { LIMITS } from './limits.ts';
import { number, show, text } from './validate.ts';

/** What to do about occurrences that came due while no scheduler ran. */
export type MissedPolicy = 'skip' | 'once' | 'all';
/** What to do when an occurrence comes due while the previous one has not finished. */
export type OverlapPolicy = 'skip' | 'queue' | 'allow';

/** A schedule as given to `schedule()`: `cron` (with seconds, optional) or `everyMs`, and the job to submit. */
export interface ScheduleInput {
  readonly id: string;
  /** A cron expression (5 to 7 fields: seconds and year optional), read in `timezone`. */
  readonly cron?: string;
  /** Or an interval, from when the schedule was made. */
  readonly everyMs?: number;
  /** An IANA time zone for `cron`. @default 'UTC' */
  readonly timezone?: string;
  /** The job each occurrence submits (its `queue` and all). */
  readonly job: JobInput<string, unknown>;
  /** @default 'once' */
  readonly missed?: MissedPolicy;
  /** @default 'skip' */
  readonly overlap?: OverlapPolicy;
  /** @default false */
  readonly paused?: boolean;
}

/** A stored schedule. */
export interface Schedule {
  readonly id: string;
  readonly cron: string | null;
  readonly everyMs: number | null;
  readonly timezone: string;
  readonly job: JobInput<string, Json>;
  readonly missed: MissedPolicy;
  readonly overlap: OverlapPolicy;
  readonly paused: boolean;
  /** The upcoming occurrence; `null` when paused or when the expression has no more. */
  readonly nextAtMs: number | null;
  /** The job the last occurrence submitted. */
  readonly lastJobId: string | null;
  /** Occurrences submitted, and skipped (overlap or missed). */
  readonly fired: number;
  readonly skipped: number;
  /** When it was made (or, for `everyMs`, last changed): what its interval counts from. */
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

/** Reads cron expressions (`@baton/core/cron` has one, on croner): the core has no parser of its own. */
export interface CronParser {
  /** Throws if `expression` is not valid. */
  check(expression: string, timezone: string): void;
  /** The first time matching `expression` strictly after `afterMs`, in `timezone`; `null` if none. */
  next(expression: string, afterMs: number, timezone: string): number | null;
}

/** At most this many missed occurrences are submitted at once under `missed: 'all'`. */
export const MAX_CATCH_UP = 100;

/** The time of the first occurrence of `s` strictly after `afterMs`, or `null` if there is none. */
export function nextOccurrence(s: Pick<Schedule, 'cron' | 'everyMs' | 'timezone' | 'createdAtMs'>, afterMs: number, cron: CronParser | null): number | null {
  if (s.everyMs !== null) return s.createdAtMs + (Math.floor((afterMs - s.createdAtMs) / s.everyMs) + 1) * s.everyMs;
  if (cron === null) return null; // checked when the schedule was made; a scheduler without a parser fires none
  return cron.next(s.cron!, afterMs, s.timezone);
}

/** `input` checked (the job checked by the caller, as a submit is), as a new schedule or a change to `existing`. */
export function resolveSchedule(input: ScheduleInput, existing: Schedule | undefined, nowMs: number, parser: CronParser | null): Schedule {
  if (input === null || typeof input !== 'object') throw new ValidationError('schedule', `Expected a schedule object, got ${show(input)}`);
  for (const name of Object.keys(input)) {
    if (!['id', 'cron', 'everyMs', 'timezone', 'job', 'missed', 'overlap', 'paused'].includes(name)) {
      throw new ValidationError(`schedule.${name}`, `Unknown field \`schedule.${name}\``);
    }
  }
  const id = text('schedule.id', input.id);
  if ((input.cron === undefined) === (input.everyMs === undefined)) {
    throw new ValidationError('schedule.cron', 'Give `schedule.cron` or `schedule.everyMs`, one of them');
  }
  const timezone = input.timezone === undefined ? 'UTC' : text('schedule.timezone', input.timezone);
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    throw new ValidationError('schedule.timezone', `Unknown \`schedule.timezone\` ${show(timezone)}: expected an IANA time zone such as "Europe/Paris"`);
  }
  const cron = input.cron === undefined ? null : text('schedule.cron', input.cron);
  if (cron !== null) {
    if (parser === null) {
      throw new ValidationError(
        'schedule.cron',
        'This scheduler reads no cron expressions: give it `cron` (`cronParser` from `@baton/core/cron`), or use `everyMs`',
      );
    }
    try {
      parser.check(cron, timezone);
    } catch (error) {
      const field = /time ?zone/i.test(String(error)) ? 'schedule.timezone' : 'schedule.cron';
      throw new ValidationError(field, `Invalid \`${field}\`: ${(error as Error).message}`);
    }
  }
  const everyMs = input.everyMs === undefined ? null : number('schedule.everyMs', input.everyMs, 1_000, true, LIMITS.durationMs);
  const missed = input.missed ?? 'once';
  if (!['skip', 'once', 'all'].includes(missed))
    throw new ValidationError('schedule.missed', `Expected \`schedule.missed\` to be "skip", "once" or "all", got ${show(missed)}`);
  const overlap = input.overlap ?? 'skip';
  if (!['skip', 'queue', 'allow'].includes(overlap)) {
    throw new ValidationError('schedule.overlap', `Expected \`schedule.overlap\` to be "skip", "queue" or "allow", got ${show(overlap)}`);
  }
  const paused = input.paused ?? false;
  if (typeof paused !== 'boolean') throw new ValidationError('schedule.paused', `Expected \`schedule.paused\` to be a boolean, got ${show(paused)}`);
  // A changed definition starts over from now; the last job stays known, for the overlap policy.
  const createdAtMs = existing?.createdAtMs ?? nowMs;
  const base = { cron, everyMs, timezone, createdAtMs: existing !== undefined && everyMs !== null ? nowMs : createdAtMs };
  return {
    id,
    ...base,
    job: input.job as JobInput<string, Json>,
    missed,
    overlap,
    paused,
    nextAtMs: paused ? null : nextOccurrence(base, nowMs, parser),
    lastJobId: existing?.lastJobId ?? null,
    fired: existing?.fired ?? 0,
    skipped: existing?.skipped ?? 0,
    updatedAtMs: nowMs,
  };
}

/** The occurrence times of `s` due by `nowMs` (from `s.nextAtMs`), at most `MAX_CATCH_UP`, and the next after them. */
export function dueOccurrences(s: Schedule, nowMs: number, cron: CronParser | null): { readonly due: number[]; readonly next: number | null } {
  const due: number[] = [];
  let at = s.nextAtMs;
  while (at !== null && at <= nowMs && due.length < MAX_CATCH_UP) {
    due.push(at);
    at = nextOccurrence(s, at, cron);
  }
  // Past the cap, what is left is skipped to the first occurrence after now.
  if (at !== null && at <= nowMs) at = nextOccurrence(s, nowMs, cron);
  return { due, next: at };
}
