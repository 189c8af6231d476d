import { CauseCode } from './causes.ts';
import type { Dependents } from './dependents.ts';
import { type Cause, type JobRecord, JobState } from './job.ts';
import type { TickContext } from './tick-context.ts';

/**
 * Dedupe keys (`JobInput.dedupe`) live beside idempotency keys, in their own
 * namespace: a record maps the key to the last job submitted with it. That
 * job is what a later submit meets while it is pending; once it has started
 * (or is gone), the key holds nothing back. The record goes with its job
 * when retention deletes the job.
 */
const NAMESPACE = '\u0000dedupe\u0000';

export function dedupeRecordKey(key: string): string {
  return `${NAMESPACE}${key}`;
}

/** Not started yet: what a dedupe key throttles or debounces. */
export function isPending(job: JobRecord): boolean {
  return job.state === JobState.waiting || job.state === JobState.scheduled || job.state === JobState.ready;
}

/** A pending job a debounced submit replaces, and the job that replaces it. */
export interface Replacement {
  readonly id: string;
  readonly by: string;
}

/** Cancels the jobs debounced submits replaced (their dependents and key chain follow as after any cancel). */
export async function replaceDebounced(ctx: TickContext, dependents: Dependents, replacements: readonly Replacement[]): Promise<void> {
  for (const { id, by } of replacements) {
    const base = await ctx.tick.get(id);
    if (base === undefined || !isPending(base)) continue;
    const cause: Cause = { code: CauseCode.debounced, message: `replaced by ${by}, submitted with the same debounce key` };
    await dependents.finish(ctx, base, JobState.cancelled, cause);
  }
}
