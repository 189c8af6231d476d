import type { Dependents } from './dependents.ts';
import { CauseCode } from './causes.ts';
import { BatonError, CancelledError, IllegalTransitionError, isBatonError, UnknownJobError } from './errors.ts';
import type { ScheduleBook, ScheduleChange } from './schedule-book.ts';
import { manualRetry } from './manual-retry.ts';
import { type Actor, type Cause, isTerminal, type Json, JobState } from './job.ts';
import { deliverSignal } from './deliver-signal.ts';
import type { Leases } from './leases.ts';
import type { TickContext } from './tick-context.ts';

/** A cancel, a dead-letter retry, a signal or a change to the schedules, waiting for the next tick. */
export interface Operation {
  readonly kind: 'cancel' | 'retry' | 'signal' | 'schedule';
  /** For a signal: its name and payload. */
  readonly signal?: { readonly name: string; readonly payload: Json };
  /** For a schedule change (its `id` is the schedule's). */
  readonly schedule?: ScheduleChange;
  readonly id: string;
  /** Who asked, for the audit trail. */
  readonly actor: Actor | null;
  /** With the job, or the schedule for a schedule change. */
  readonly resolve: (value: never) => void;
  readonly reject: (error: unknown) => void;
}

const CANCELLED: Cause = { code: CauseCode.cancelled, message: 'cancelled by request' };

/**
 * Applies cancels and retries in a tick. A cancel ends a job that has not
 * finished (a running handler's signal is aborted) and releases its
 * waiters; a retry sends a failed job back to run with a fresh attempt
 * count. Answers come after the commit.
 */
export class Operations {
  private readonly leases: Leases;
  private readonly dependents: Dependents;
  private readonly schedules: ScheduleBook;

  constructor(leases: Leases, dependents: Dependents, schedules: ScheduleBook) {
    this.leases = leases;
    this.dependents = dependents;
    this.schedules = schedules;
  }

  async apply(ctx: TickContext, op: Operation): Promise<void> {
    const resolve = op.resolve as (value: unknown) => void;
    if (op.kind === 'schedule') {
      try {
        const schedule = await this.schedules.change(ctx, op.schedule!);
        ctx.fx.settle.push(() => resolve(schedule));
        ctx.fx.rejections.push(op.reject);
      } catch (error) {
        if (!isBatonError(error)) throw error; // a store read that failed: the tick fails, and says so
        op.reject(error);
      }
      return;
    }
    const base = await ctx.tick.get(op.id);
    if (base === undefined) {
      op.reject(new UnknownJobError(op.id));
      return;
    }
    if (op.kind === 'signal') {
      if (isTerminal(base.state)) {
        op.reject(new IllegalTransitionError(base.id, base.state, 'signalled'));
        return;
      }
      await deliverSignal(ctx, base, op.signal!.name, op.signal!.payload);
      const job = ctx.current(base);
      ctx.fx.settle.push(() => resolve(job));
    } else if (op.kind === 'cancel') {
      if (isTerminal(base.state)) {
        op.reject(new IllegalTransitionError(base.id, base.state, JobState.cancelled));
        return;
      }
      const attempt = this.leases.holder(base.id);
      if (attempt !== undefined) this.leases.abandon(attempt, new CancelledError(`job ${base.id} was cancelled`));
      const { job } = await this.dependents.finish(ctx, base, JobState.cancelled, op.actor === null ? CANCELLED : { ...CANCELLED, actor: op.actor });
      ctx.fx.settle.push(() => resolve(job));
    } else {
      const next = await manualRetry(ctx, base, op.actor);
      if (next instanceof BatonError) {
        op.reject(next);
        return;
      }
      ctx.fx.settle.push(() => resolve(next));
    }
    ctx.fx.rejections.push(op.reject);
  }
}
