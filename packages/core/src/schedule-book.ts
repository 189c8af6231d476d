import { admitOwn } from './admission.ts';
import { UnknownScheduleError } from './errors.ts';
import { resolveInput } from './input.ts';
import { isTerminal, type JobInput, type Json } from './job.ts';
import type { Handlers, ResolvedOptions } from './options.ts';
import { dueOccurrences, nextOccurrence, resolveSchedule, type Schedule, type ScheduleInput } from './schedules.ts';
import type { Tick } from './tick.ts';
import type { TickContext } from './tick-context.ts';

/** Where the schedules are stored: one meta value, written in the tick that changes or fires them. */
export const SCHEDULES_META = 'baton:schedules';

/** A change to the schedules, waiting for the next tick. */
export type ScheduleChange =
  | { readonly action: 'put'; readonly input: ScheduleInput }
  | { readonly action: 'pause' | 'resume' | 'delete'; readonly id: string };

export function readSchedules(value: Json | undefined): Schedule[] {
  return (value ?? []) as unknown as Schedule[];
}

/**
 * The schedules, as the scheduler keeps them: read once from the store,
 * changed and fired in ticks (each change or occurrence committed with the
 * tick's batch: an occurrence and the schedule's next time are stored
 * together, so a crash neither loses nor repeats one), and their next time
 * is part of the one timer the scheduler sets.
 */
export class ScheduleBook {
  private cache: Map<string, Schedule> | null = null;
  /** When this scheduler started: an occurrence due before it was missed (no scheduler ran then). */
  startedAtMs = Number.NEGATIVE_INFINITY;
  readonly handlers: Handlers;
  readonly options: ResolvedOptions;
  readonly nextId: (nowMs: number) => string;

  constructor(handlers: Handlers, options: ResolvedOptions, nextId: (nowMs: number) => string) {
    this.handlers = handlers;
    this.options = options;
    this.nextId = nextId;
  }

  async load(tick: Tick): Promise<Map<string, Schedule>> {
    this.cache ??= new Map(readSchedules(await tick.getMeta(SCHEDULES_META)).map((s) => [s.id, s]));
    return this.cache;
  }

  /** A tick failed: what it changed was not stored. */
  forget(): void {
    this.cache = null;
  }

  /** The earliest upcoming occurrence, as last loaded. */
  nextAtMs(): number | null {
    let next: number | null = null;
    for (const s of this.cache?.values() ?? []) if (s.nextAtMs !== null && (next === null || s.nextAtMs < next)) next = s.nextAtMs;
    return next;
  }

  private save(tick: Tick, schedules: Map<string, Schedule>): void {
    tick.putMeta(SCHEDULES_META, [...schedules.values()] as unknown as Json);
  }

  /** Applies a change in this tick; returns the schedule as it is now (as it was, for a delete). */
  async change(ctx: TickContext, change: ScheduleChange): Promise<Schedule> {
    const schedules = await this.load(ctx.tick);
    const now = ctx.now;
    let next: Schedule;
    if (change.action === 'put') {
      const input = change.input;
      resolveInput(input?.job as JobInput<string, unknown>, this.handlers, this.options, now, 'schedule.job');
      next = resolveSchedule(input, schedules.get(input.id), now, this.options.cron);
    } else {
      const s = schedules.get(change.id);
      if (s === undefined) throw new UnknownScheduleError(change.id);
      if (change.action === 'delete') {
        schedules.delete(s.id);
        this.save(ctx.tick, schedules);
        return s;
      }
      const paused = change.action === 'pause';
      next = { ...s, paused, nextAtMs: paused ? null : nextOccurrence(s, now, this.options.cron), updatedAtMs: now };
    }
    schedules.set(next.id, next);
    this.save(ctx.tick, schedules);
    return next;
  }

  /** Submits the occurrences due by now, by each schedule's missed and overlap policies. */
  async fire(ctx: TickContext): Promise<void> {
    const schedules = await this.load(ctx.tick);
    let changed = false;
    for (const s of schedules.values()) {
      if (s.paused || s.nextAtMs === null || s.nextAtMs > ctx.now) continue;
      const { due, next } = dueOccurrences(s, ctx.now, this.options.cron);
      const onTime = due.filter((at) => at >= this.startedAtMs);
      const chosen = s.missed === 'all' ? due : s.missed === 'once' ? due.slice(-1) : onTime.slice(-1);
      let { lastJobId, fired, skipped } = s;
      skipped += due.length - chosen.length;
      for (const at of chosen) {
        if (s.overlap === 'skip' && lastJobId !== null) {
          const last = await ctx.tick.get(lastJobId);
          if (last !== undefined && !isTerminal(last.state)) {
            skipped++;
            continue;
          }
        }
        const id = await this.submit(ctx, s, at);
        if (id !== null) {
          lastJobId = id;
          fired++;
        }
      }
      schedules.set(s.id, { ...s, nextAtMs: next, lastJobId, fired, skipped });
      changed = true;
    }
    if (changed) this.save(ctx.tick, schedules);
  }

  /** One occurrence, as a job: once per occurrence time (its idempotency key), queued behind the last under `queue`. */
  private async submit(ctx: TickContext, s: Schedule, atMs: number): Promise<string | null> {
    const input: JobInput<string, unknown> = {
      ...s.job,
      idempotencyKey: `baton-schedule:${s.id}:${atMs}`,
      tags: [...(s.job.tags ?? []), `schedule:${s.id}`],
      ...(s.overlap === 'queue' ? { key: `baton-schedule:${s.id}` } : {}),
    };
    const ids = await admitOwn(ctx, [input], this, (error) => this.options.logger.error('a schedule occurrence was refused', { scheduleId: s.id, error }));
    return ids?.[0] ?? null;
  }
}
