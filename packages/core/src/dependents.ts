import { CauseCode } from './causes.ts';
import type { Congestion } from './congestion.ts';
import { failure } from './failure.ts';
import { type Cause, type Failure, FailureKind, type JobRecord, JobState } from './job.ts';
import type { MetricsRecorder } from './metrics.ts';
import { evaluateBlockers } from './blockers.ts';
import { type RecordPatch, release, terminalPatch, transition, update } from './records.ts';
import { unfinishedFrom } from './key-chain.ts';
import type { TickContext } from './tick-context.ts';

/**
 * Jobs reaching an end, and what that releases: a job that succeeds, fails
 * or is cancelled lets its waiters (dependents, and the next job with its
 * ordering key) run, or fails or cancels them by their policy, and so on
 * down the graph, all in the same tick.
 */
export class Dependents {
  private readonly congestion: Congestion;
  private readonly metrics: MetricsRecorder;

  /** Called in the tick in which a job that ran fails for good or is cancelled (its compensations). */
  onUndone: ((ctx: TickContext, job: JobRecord) => Promise<void>) | null = null;

  constructor(congestion: Congestion, metrics: MetricsRecorder) {
    this.congestion = congestion;
    this.metrics = metrics;
  }

  /** Fails `base` with `cause` (and `fault`, or one made from the cause) and releases its waiters. */
  async fail(ctx: TickContext, base: JobRecord, cause: Cause, fault: Failure | null): Promise<JobRecord> {
    const next = transition(
      base,
      JobState.failed,
      ctx.now,
      cause,
      terminalPatch(ctx.now, { error: fault ?? failure(FailureKind.permanent, cause.code, cause.message ?? cause.code) }),
    );
    ctx.put(next, base, cause);
    this.metrics.finished(next.type, next.attempt, false);
    if (next.startedAtMs !== null) await this.onUndone?.(ctx, next);
    await this.release(ctx, next);
    return next;
  }

  /** Ends `base` in `to` (succeeded or cancelled) with `patch`; returns the record and how many jobs waited on it. */
  async finish(
    ctx: TickContext,
    base: JobRecord,
    to: typeof JobState.succeeded | typeof JobState.cancelled,
    cause: Cause,
    patch: RecordPatch = {},
  ): Promise<{ readonly job: JobRecord; readonly waiters: number }> {
    const next = transition(base, to, ctx.now, cause, terminalPatch(ctx.now, patch));
    ctx.put(next, base, cause);
    if (to === JobState.succeeded) this.metrics.finished(next.type, next.attempt, true);
    else if (next.startedAtMs !== null) await this.onUndone?.(ctx, next);
    return { job: next, waiters: await this.release(ctx, next) };
  }

  /**
   * `finished` reached a terminal state: its waiters may run now, or fail
   * or be cancelled by their policy, and so on down the graph. Returns how
   * many waiters it had.
   */
  async release(ctx: TickContext, finished: JobRecord): Promise<number> {
    // No job waits on anything: spare the store a query per finished job.
    if (this.congestion.waitingDepth === 0 && !ctx.tick.hasLocalWaiters()) return 0;
    const done = [finished];
    let count = 0;
    while (done.length > 0) {
      const job = done.pop()!;
      const waiters = await ctx.tick.waitingOn(job.id);
      if (job === finished) count = waiters.length;
      for (const listed of waiters) {
        let waiter = ctx.current(listed);
        if (waiter.state !== JobState.waiting) continue; // ended meanwhile, in this same pass
        const deps = waiter.dependsOn.length === 0 ? [] : await ctx.tick.getMany(waiter.dependsOn);
        const after = waiter.after === null ? undefined : await unfinishedFrom((id) => ctx.tick.get(id), await ctx.tick.get(waiter.after), waiter.id);
        if (after !== undefined && after.id !== waiter.after) {
          // Its predecessor ended without running: it waits for the one before that (and its dependencies still count).
          const relinked = update(waiter, ctx.now, { after: after.id });
          ctx.tick.put(relinked, waiter);
          waiter = relinked;
        }
        const verdict = evaluateBlockers(waiter, deps, after);
        if (verdict.kind === 'blocked') continue;
        if (verdict.kind === 'clear') {
          const cause: Cause = { code: CauseCode.unblocked, message: `after ${job.id}` };
          ctx.put(release(waiter, ctx.now, cause), waiter, cause);
          continue;
        }
        const next = transition(
          waiter,
          verdict.to,
          ctx.now,
          verdict.cause,
          terminalPatch(ctx.now, verdict.to === JobState.failed ? { error: failure(FailureKind.permanent, verdict.cause.code, verdict.cause.message!) } : {}),
        );
        ctx.put(next, waiter, verdict.cause);
        if (next.state === JobState.failed) this.metrics.finished(next.type, next.attempt, false);
        done.push(next);
      }
    }
    return count;
  }
}
