import { admitUnit, prepareUnit } from './admission.ts';
import { compensationsOf } from './compensation.ts';
import type { JobInput, JobRecord } from './job.ts';
import { noteOnLastTransition } from './records.ts';
import type { Handlers, ResolvedOptions } from './options.ts';
import type { TickContext } from './tick-context.ts';

/** Stores the compensation jobs of `job`, which failed for good or was cancelled, in the same tick. */
export async function storeCompensations(
  ctx: TickContext,
  job: JobRecord,
  p: { readonly handlers: Handlers; readonly options: ResolvedOptions; readonly nextId: (nowMs: number) => string },
): Promise<void> {
  const inputs = compensationsOf(job, await ctx.tick.stepsOf(job.id));
  if (inputs.length === 0) return;
  const reject = (error: unknown) => p.options.logger.error('compensation jobs not stored', { jobId: job.id, error });
  try {
    const unit = prepareUnit(inputs as ReadonlyArray<JobInput<string, unknown>>, p.handlers, p.options, ctx.now, p.nextId);
    let refused = false;
    const refuse = (error: unknown): void => {
      refused = true;
      reject(error);
    };
    await admitUnit({ ...unit, actor: null, resolve: () => {}, reject: refuse }, ctx.tick, ctx.now, ctx.fx);
    if (refused) return;
    // The job's last transition (its failure or cancel, in this same tick) names its compensations.
    const current = ctx.tick.peek(job.id) ?? job;
    ctx.tick.put(noteOnLastTransition(current, ctx.now, `compensated by ${unit.ids.join(', ')}`), current);
  } catch (error) {
    reject(error);
  }
}
