import type { Congestion } from './congestion.ts';
import type { Dependents } from './dependents.ts';
import { CauseCode } from './causes.ts';
import { CancelledError, IllegalTransitionError, UnknownJobError } from './errors.ts';
import { type Cause, isTerminal, type JobRecord, JobState } from './job.ts';
import type { Leases } from './leases.ts';
import { readyPatch, transition } from './records.ts';
import type { TickContext } from './tick-context.ts';

/** A cancel or a dead-letter retry, waiting for the next tick. */
export interface Operation {
  readonly kind: 'cancel' | 'retry';
  readonly id: string;
  readonly resolve: (job: JobRecord) => void;
  readonly reject: (error: unknown) => void;
}

const CANCELLED: Cause = { code: CauseCode.cancelled, message: 'cancelled by request' };
const MANUAL_RETRY: Cause = { code: CauseCode.manualRetry, message: 'retried from the dead-letter set' };

/**
 * Applies cancels and retries in a tick. A cancel ends a job that has not
 * finished (a running handler's signal is aborted) and releases its
 * waiters; a retry sends a failed job back to run with a fresh attempt
 * count. Answers come after the commit.
 */
export class Operations {
  private readonly leases: Leases;
  private readonly dependents: Dependents;
  private readonly congestion: Congestion;

  constructor(leases: Leases, dependents: Dependents, congestion: Congestion) {
    this.leases = leases;
    this.dependents = dependents;
    this.congestion = congestion;
  }

  async apply(ctx: TickContext, op: Operation): Promise<void> {
    const base = await ctx.tick.get(op.id);
    if (base === undefined) {
      op.reject(new UnknownJobError(op.id));
      return;
    }
    if (op.kind === 'cancel') {
      if (isTerminal(base.state)) {
        op.reject(new IllegalTransitionError(base.id, base.state, JobState.cancelled));
        return;
      }
      const attempt = this.leases.holder(base.id);
      if (attempt !== undefined) this.leases.abandon(attempt, new CancelledError(`job ${base.id} was cancelled`));
      const { job } = await this.dependents.finish(ctx, base, JobState.cancelled, CANCELLED);
      ctx.fx.settle.push(() => op.resolve(job));
    } else {
      if (base.state !== JobState.failed) {
        op.reject(new IllegalTransitionError(base.id, base.state, JobState.ready));
        return;
      }
      const next = transition(base, JobState.ready, ctx.now, MANUAL_RETRY, {
        ...readyPatch(base, ctx.now, this.congestion.stepMs),
        attempt: 0,
        finishedAtMs: null,
      });
      ctx.put(next, base, MANUAL_RETRY);
      ctx.fx.settle.push(() => op.resolve(next));
    }
    ctx.fx.rejections.push(op.reject);
  }
}
