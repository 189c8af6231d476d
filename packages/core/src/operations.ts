import type { Congestion } from './congestion.ts';
import type { Dependents } from './dependents.ts';
import { CauseCode } from './causes.ts';
import { evaluateBlockers } from './blockers.ts';
import { CancelledError, DependencyFailedError, IllegalTransitionError, UnknownJobError } from './errors.ts';
import { keyPredecessor, setKeyTail } from './key-chain.ts';
import { type Actor, type Cause, isTerminal, type JobRecord, JobState } from './job.ts';
import type { Leases } from './leases.ts';
import { readyPatch, transition, update } from './records.ts';
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
      const { job } = await this.dependents.finish(ctx, base, JobState.cancelled, op.actor === null ? CANCELLED : { ...CANCELLED, actor: op.actor });
      ctx.fx.settle.push(() => op.resolve(job));
    } else {
      const next = await this.retry(ctx, base, op);
      if (next === null) return;
      ctx.fx.settle.push(() => op.resolve(next));
    }
    ctx.fx.rejections.push(op.reject);
  }

  /**
   * Sends a failed job back, with a fresh attempt count, as a new submit
   * would go: after its unfinished dependencies (refused while one has
   * failed: it would fail again at once), and at the end of its key's
   * chain, after whatever the key holds now. Returns `null` when refused.
   */
  private async retry(ctx: TickContext, base: JobRecord, op: Operation): Promise<JobRecord | null> {
    if (base.state !== JobState.failed) {
      op.reject(new IllegalTransitionError(base.id, base.state, JobState.ready));
      return null;
    }
    const deps = base.dependsOn.length === 0 ? [] : await ctx.tick.getMany(base.dependsOn);
    if (base.onDependencyFailure !== 'continue') {
      for (const [i, dep] of deps.entries()) {
        if (dep === undefined || dep.state === JobState.failed || dep.state === JobState.cancelled) {
          op.reject(new DependencyFailedError(base.id, base.dependsOn[i]!, dep?.state ?? 'gone'));
          return null;
        }
      }
    }
    const predecessor = base.key === null ? undefined : await keyPredecessor(ctx.tick, base.key, base.id);
    const relinked = update(base, ctx.now, { after: predecessor?.id ?? null });
    const blocked = evaluateBlockers(relinked, deps, predecessor).kind === 'blocked';
    const patch = { attempt: 0, finishedAtMs: null, after: predecessor?.id ?? null };
    const cause: Cause = op.actor === null ? MANUAL_RETRY : { ...MANUAL_RETRY, actor: op.actor };
    const next = blocked
      ? transition(base, JobState.waiting, ctx.now, cause, { ...patch, rank: null })
      : transition(base, JobState.ready, ctx.now, cause, { ...readyPatch(base, ctx.now, this.congestion.stepMs), ...patch });
    ctx.put(next, base, cause);
    if (base.key !== null) setKeyTail(ctx.tick, base.key, base.id);
    return next;
  }
}
