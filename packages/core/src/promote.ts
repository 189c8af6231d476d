import { CauseCode } from './causes.ts';
import type { Congestion } from './congestion.ts';
import type { Dependents } from './dependents.ts';
import { failure } from './failure.ts';
import { type Cause, FailureKind, type JobRecord, JobState } from './job.ts';
import type { Leases } from './leases.ts';
import type { MetricsRecorder } from './metrics.ts';
import { readyPatch, transition } from './records.ts';
import type { TickContext } from './tick-context.ts';

const DUE: Cause = { code: CauseCode.due };

export interface PromoteParts {
  readonly leases: Leases;
  readonly congestion: Congestion;
  readonly dependents: Dependents;
  readonly metrics: MetricsRecorder;
  readonly maxBatch: number;
}

/**
 * Jobs whose one timer is due: a scheduled job becomes ready, a deadline
 * fails its job wherever it is, and a running job whose lease lapsed (its
 * holder is gone) is recovered: ready again, or failed if out of attempts.
 */
export async function promote(ctx: TickContext, p: PromoteParts): Promise<void> {
  for (const listed of await ctx.tick.due(ctx.now, p.maxBatch)) {
    // Handling one due job can end another on the list (a failed dependency, say): skip what changed since.
    const base = ctx.current(listed);
    if (base !== listed) continue;
    if (base.state === JobState.running) {
      await recoverLease(ctx, base, p);
    } else if (base.deadlineAtMs !== null && ctx.now >= base.deadlineAtMs) {
      await p.dependents.fail(ctx, base, p.congestion.missedDeadline(base), null);
    } else if (base.state === JobState.scheduled && base.runAtMs !== null && base.runAtMs <= ctx.now) {
      ctx.put(transition(base, JobState.ready, ctx.now, DUE, readyPatch(base.runAtMs)), base, DUE);
    }
  }
}

async function recoverLease(ctx: TickContext, base: JobRecord, p: PromoteParts): Promise<void> {
  const cause = p.leases.lapsed(ctx, base);
  if (cause === null) return;
  p.metrics.stalled++;
  const fault = failure(FailureKind.transient, CauseCode.leaseExpired, cause.message!);
  if (base.deadlineAtMs !== null && ctx.now >= base.deadlineAtMs) {
    const late: Cause = { code: CauseCode.deadlineExceeded, message: `deadline ${base.deadlineAtMs} passed while its worker was gone (${cause.message})` };
    await p.dependents.fail(ctx, base, late, fault);
  } else if (base.attempt >= base.retry.maxAttempts) await p.dependents.fail(ctx, base, cause, fault);
  else ctx.put(transition(base, JobState.ready, ctx.now, cause, { ...readyPatch(ctx.now), error: fault }), base, cause);
}
