import type { Attempt } from './attempt.ts';
import { evaluateBlockers } from './blockers.ts';
import { CauseCode } from './causes.ts';
import type { Dependents } from './dependents.ts';
import { CancelledError } from './errors.ts';
import { type Cause, type JobRecord, JobState } from './job.ts';
import { clearKeyTail, keyPredecessor } from './key-chain.ts';
import { release, update } from './records.ts';
import type { TickContext } from './tick-context.ts';

/** `ctx.releaseKey()`, waiting for the tick that stores it. */
export interface KeyRelease {
  readonly attempt: Attempt;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The key releases of one tick, each stored only while its attempt holds
 * its job (as step results are) and answered once the tick has committed.
 */
export async function releaseKeys(
  ctx: TickContext,
  releases: readonly KeyRelease[],
  holds: (attempt: Attempt) => boolean,
  dependents: Dependents,
): Promise<void> {
  for (const r of releases) {
    if (!holds(r.attempt)) {
      const { attempt, id } = { attempt: r.attempt.record.attempt, id: r.attempt.record.id };
      r.reject(new CancelledError(`attempt ${attempt} of job ${id} no longer holds the job: its key is not released`));
      continue;
    }
    await releaseKey(ctx, r.attempt.record, dependents);
    ctx.fx.settle.push(r.resolve);
    ctx.fx.rejections.push(r.reject);
  }
}

/**
 * A running keyed job lets the rest of its key go on before it finishes:
 * the job that waits for it (its key successor) waits for it no longer,
 * and runs once its dependencies allow; a job admitted later with the key
 * does not wait for it either. The job keeps running, and nothing about
 * it changes: a retry (a crash, a lost lease, a failed attempt) keeps its
 * successors released, and a job sent back from the dead-letter set goes
 * to the end of its key as any retried job does. Calling it again changes
 * nothing. Returns how many waiting jobs it released.
 */
export async function releaseKey(ctx: TickContext, job: JobRecord, dependents: Dependents): Promise<number> {
  if (job.key === null) return 0;
  // A job admitted next would wait for this one: it waits for nothing now (everything before it has started).
  if ((await keyPredecessor(ctx.tick, job.key))?.id === job.id) clearKeyTail(ctx.tick, job.key);
  let released = 0;
  for (const listed of await ctx.tick.waitingOn(job.id)) {
    const waiter = ctx.current(listed);
    if (waiter.state !== JobState.waiting || waiter.after !== job.id) continue; // a dependent, not its successor
    // Linked to nothing: a job whose predecessor started has nothing before it left to wait for.
    const relinked = update(waiter, ctx.now, { after: null });
    ctx.tick.put(relinked, waiter);
    released++;
    const deps = relinked.dependsOn.length === 0 ? [] : await ctx.tick.getMany(relinked.dependsOn);
    const verdict = evaluateBlockers(relinked, deps, undefined);
    if (verdict.kind === 'blocked') continue; // its dependencies still hold it
    if (verdict.kind === 'clear') {
      const cause: Cause = { code: CauseCode.unblocked, message: `key ${JSON.stringify(job.key)} released by ${job.id}` };
      ctx.put(release(relinked, ctx.now, cause), relinked, cause);
    } else if (verdict.to === JobState.failed) {
      await dependents.fail(ctx, relinked, verdict.cause, null);
    } else {
      await dependents.finish(ctx, relinked, JobState.cancelled, verdict.cause);
    }
  }
  return released;
}
