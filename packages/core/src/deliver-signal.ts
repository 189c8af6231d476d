import { CauseCode } from './causes.ts';
import { type Cause, type Json, type JobRecord, JobState } from './job.ts';
import { readyPatch, transition } from './records.ts';
import { signalStep } from './signals.ts';
import type { TickContext } from './tick-context.ts';

/** Whether `job` sleeps in a wait for a signal (any: the handler checks which). */
export function waitsForSignal(job: JobRecord): boolean {
  return job.state === JobState.scheduled && job.history.at(-1)?.cause.code === CauseCode.waitingForSignal;
}

/**
 * Stores signal `name` for `base` in this tick (the first of a name stays)
 * and wakes the job if it waits for a signal. Returns whether it was new.
 */
export async function deliverSignal(ctx: TickContext, base: JobRecord, name: string, payload: Json): Promise<boolean> {
  const step = signalStep(name);
  const known = (await ctx.tick.stepsOf(base.id)).some((s) => s.name === step);
  if (!known) ctx.tick.putStep({ jobId: base.id, name: step, result: payload, attempt: base.attempt, atMs: ctx.now });
  if (waitsForSignal(base)) {
    const cause: Cause = { code: CauseCode.signalled, message: `signal ${JSON.stringify(name)} arrived` };
    ctx.put(transition(base, JobState.ready, ctx.now, cause, readyPatch(ctx.now)), base, cause);
  }
  return !known;
}
