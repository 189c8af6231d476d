import type { Dependents } from './dependents.ts';
import { CauseCode } from './causes.ts';
import { BatonError, CancelledError, IllegalTransitionError, UnknownJobError } from './errors.ts';
import { manualRetry } from './manual-retry.ts';
import { type Actor, type Cause, isTerminal, type JobRecord, JobState } from './job.ts';
import type { Leases } from './leases.ts';
import type { TickContext } from './tick-context.ts';

/** A cancel or a dead-letter retry, waiting for the next tick. */
export interface Operation {
  readonly kind: 'cancel' | 'retry';
  readonly id: string;
  /** Who asked, for the audit trail. */
  readonly actor: Actor | null;
  readonly resolve: (job: JobRecord) => void;
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

  constructor(leases: Leases, dependents: Dependents) {
    this.leases = leases;
    this.dependents = dependents;
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
      const { job } = await this.dependents.finish(ctx, base, JobState.cancelled, op.actor === null ? CANCELLED : { ...CANCELLED, actor: op.actor });
      ctx.fx.settle.push(() => op.resolve(job));
    } else {
      const next = await manualRetry(ctx, base, op.actor);
      if (next instanceof BatonError) {
        op.reject(next);
        return;
      }
      ctx.fx.settle.push(() => op.resolve(next));
    }
    ctx.fx.rejections.push(op.reject);
  }
}
