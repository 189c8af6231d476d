import { CauseCode } from './causes.ts';
import { evaluateBlockers } from './blockers.ts';
import { type BatonError, DependencyCycleError, DependencyFailedError, IllegalTransitionError } from './errors.ts';
import { type JobLookup, keyPredecessor, setKeyTail, unlinkFromKey } from './key-chain.ts';
import { type Actor, type Cause, isTerminal, type JobRecord, JobState } from './job.ts';
import { readyPatch, transition } from './records.ts';
import type { TickContext } from './tick-context.ts';

const MANUAL_RETRY: Cause = { code: CauseCode.manualRetry, message: 'retried from the dead-letter set' };

/**
 * Sends a failed job back, with a fresh attempt count, as a new submit
 * would go: after its unfinished dependencies (refused while one has
 * failed: it would fail again at once), and at the end of its key's chain,
 * after whatever the key holds now. Refused, with a `DependencyCycleError`,
 * when that would put it behind a job that waits for it. Dependents it had
 * released and that have not started wait for it again (the claim checks).
 * Returns the refusal instead of the record; the tick has written nothing then.
 */
export async function manualRetry(ctx: TickContext, base: JobRecord, actor: Actor | null): Promise<JobRecord | BatonError> {
  if (base.state !== JobState.failed) return new IllegalTransitionError(base.id, base.state, JobState.ready);
  const get: JobLookup = (id) => ctx.tick.get(id);
  const deps = base.dependsOn.length === 0 ? [] : await ctx.tick.getMany(base.dependsOn);
  if (base.onDependencyFailure !== 'continue') {
    for (const [i, dep] of deps.entries()) {
      if (dep === undefined || dep.state === JobState.failed || dep.state === JobState.cancelled) {
        return new DependencyFailedError(base.id, base.dependsOn[i]!, dep?.state ?? 'gone');
      }
    }
  }
  const predecessor = base.key === null ? undefined : await keyPredecessor(ctx.tick, base.key, base.id);
  if (predecessor !== undefined) {
    const path = await waitPath(get, predecessor, base.id);
    if (path !== null) return new DependencyCycleError([base.id, ...path, base.id]);
  }
  // The job that came after it in its key no longer waits for it: it is moving behind the tail.
  if (base.key !== null) await unlinkFromKey(ctx.tick, base, ctx.now);
  const blocked = evaluateBlockers({ ...base, after: predecessor?.id ?? null }, deps, predecessor).kind === 'blocked';
  // startedAtMs goes too: the key chain reads it as "started since it was linked".
  const patch = { attempt: 0, startedAtMs: null, finishedAtMs: null, after: predecessor?.id ?? null };
  const cause: Cause = actor === null ? MANUAL_RETRY : { ...MANUAL_RETRY, actor };
  const next = blocked
    ? transition(base, JobState.waiting, ctx.now, cause, { ...patch, rank: null })
    : transition(base, JobState.ready, ctx.now, cause, { ...readyPatch(ctx.now), ...patch });
  ctx.put(next, base, cause);
  if (base.key !== null) setKeyTail(ctx.tick, base.key, base.id);
  return next;
}

/**
 * Whether `from` waits, directly or through what it waits for, on `target`:
 * through the dependencies of jobs that have not started (a released job
 * still checks them when claimed) and their key predecessors. Returns the
 * path from `from` to the job that waits on `target`, or `null`. Links by
 * key to `target` itself do not count: a retry unlinks them.
 */
async function waitPath(get: JobLookup, from: JobRecord, target: string): Promise<string[] | null> {
  const parent = new Map<string, string | null>([[from.id, null]]);
  const stack = [from];
  while (stack.length > 0) {
    const job = stack.pop()!;
    if (isTerminal(job.state) && job.startedAtMs !== null) continue;
    // A job that has not finished may (re)start, and checks its dependencies then, running or not.
    const next = isTerminal(job.state) ? [] : job.dependsOn.slice();
    if (next.includes(target)) {
      const path = [job.id];
      for (let at = parent.get(job.id); at !== null && at !== undefined; at = parent.get(at)) path.unshift(at);
      return path;
    }
    if (job.startedAtMs === null && job.after !== null && job.after !== target) next.push(job.after);
    for (const id of next) {
      if (parent.has(id)) continue;
      parent.set(id, job.id);
      const record = await get(id);
      if (record !== undefined) stack.push(record);
    }
  }
  return null;
}
