import { admitOwn, type OwnSubmitParts } from './admission.ts';
import { compensationsOf } from './compensation.ts';
import type { JobInput, JobRecord } from './job.ts';
import { noteOnLastTransition } from './records.ts';
import type { TickContext } from './tick-context.ts';

/** Stores the compensation jobs of `job`, which failed for good or was cancelled, in the same tick. */
export async function storeCompensations(ctx: TickContext, job: JobRecord, p: OwnSubmitParts): Promise<void> {
  const inputs = compensationsOf(job, await ctx.tick.stepsOf(job.id));
  if (inputs.length === 0) return;
  const ids = await admitOwn(ctx, inputs as ReadonlyArray<JobInput<string, unknown>>, p, (error) =>
    p.options.logger.error('compensation jobs not stored', { jobId: job.id, error }),
  );
  if (ids === null) return;
  // The job's last transition (its failure or cancel, in this same tick) names its compensations.
  const current = ctx.tick.peek(job.id) ?? job;
  ctx.tick.put(noteOnLastTransition(current, ctx.now, `compensated by ${ids.join(', ')}`), current);
}
