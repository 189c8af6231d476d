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
  /** `ctx.releaseKey({ through })`: the last key successor to release with it; `null` for the plain release. */
  readonly through: string | null;
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
    await releaseKey(ctx, r.attempt.record, dependents, r.through);
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
 *
 * With `through` (`ctx.releaseKey({ through })`), the successors from the
 * next one up to and including `through` are all released, each waiting
 * for nothing in the key, and the job after `through` still waits for it.
 * Only jobs still linked from this one to `through` go: one that left the
 * chain (cancelled, failed) is skipped, and if `through` left it, the jobs
 * that were before it still go and none after it. A `through` not behind
 * this job (another key's, one released already) releases none.
 */
export async function releaseKey(ctx: TickContext, job: JobRecord, dependents: Dependents, through: string | null = null): Promise<number> {
  if (job.key === null) return 0;
  // A job admitted next would wait for this one: it waits for nothing now (everything before it has started).
  if ((await keyPredecessor(ctx.tick, job.key))?.id === job.id) clearKeyTail(ctx.tick, job.key);
  const upTo = through === null ? null : await linkedBefore(ctx, job, through);
  if (upTo?.size === 0) return 0;
  let released = 0;
  let at = job.id;
  for (;;) {
    let next: JobRecord | undefined;
    for (const listed of await ctx.tick.waitingOn(at)) {
      const waiter = ctx.current(listed);
      if (waiter.state === JobState.waiting && waiter.after === at) next = waiter; // its successor, not a dependent
    }
    if (next === undefined || (upTo !== null && !upTo.has(next.id))) break;
    await letGo(ctx, job, next, dependents);
    released++;
    if (upTo === null || next.id === through) break;
    at = next.id;
  }
  return released;
}

/**
 * The jobs from `through` back to `job` (not included) along the `after`
 * links, where `through` stands or stood in `job`'s key: a job that left
 * the chain still names the one it waited for then. Empty if the links do
 * not lead back to `job`.
 */
async function linkedBefore(ctx: TickContext, job: JobRecord, through: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let at = await ctx.tick.get(through);
  while (at !== undefined && at.key === job.key && !ids.has(at.id) && at.id !== job.id) {
    ids.add(at.id);
    if (at.after === job.id) return ids;
    at = at.after === null ? undefined : await ctx.tick.get(at.after);
  }
  return new Set();
}

/** `waiter` waits no longer for its key: ready, or still held by its dependencies (or ended by them). */
async function letGo(ctx: TickContext, job: JobRecord, waiter: JobRecord, dependents: Dependents): Promise<void> {
  // Linked to nothing: a job whose predecessor started (or was handed on with it) has nothing before it left to wait for.
  const relinked = update(waiter, ctx.now, { after: null });
  ctx.tick.put(relinked, waiter);
  const deps = relinked.dependsOn.length === 0 ? [] : await ctx.tick.getMany(relinked.dependsOn);
  const verdict = evaluateBlockers(relinked, deps, undefined);
  if (verdict.kind === 'blocked') return; // its dependencies still hold it
  if (verdict.kind === 'clear') {
    const cause: Cause = { code: CauseCode.unblocked, message: `key ${JSON.stringify(job.key)} released by ${job.id}` };
    ctx.put(release(relinked, ctx.now, cause), relinked, cause);
  } else if (verdict.to === JobState.failed) {
    await dependents.fail(ctx, relinked, verdict.cause, null);
  } else {
    await dependents.finish(ctx, relinked, JobState.cancelled, verdict.cause);
  }
}
