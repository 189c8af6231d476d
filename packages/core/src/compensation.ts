import type { JobInput, JobRecord, Json } from './job.ts';
import type { StepRecord } from './store.ts';

/** What `ctx.step(name, fn, { compensate })` names: the job that undoes the step, given its result. */
export interface Compensation {
  /** The job type that undoes the step; it receives `{ jobId, step, result }`. */
  readonly type: string;
  /** Its own retry policy. @default the scheduler's */
  readonly retry?: JobInput['retry'];
}

/** Where a step's compensation is stored, before the step runs: `\u0000compensate:<step>`. */
const COMPENSATE_STEP = '\u0000compensate:';

export function compensationStep(step: string): string {
  return `${COMPENSATE_STEP}${step}`;
}

/** What a compensation job receives. */
export interface CompensationPayload {
  readonly jobId: string;
  readonly step: string;
  readonly result: Json;
}

/**
 * The compensation jobs of `job`, which failed for good or was cancelled:
 * one for each step that completed with a compensation, the last completed
 * first. They share an ordering key, so they run one at a time in that
 * order, and each has an idempotency key from the job and the step, so it
 * is stored once however often this is asked.
 */
export function compensationsOf(job: JobRecord, steps: readonly StepRecord[]): Array<JobInput<string, CompensationPayload>> {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const done: Array<{ step: StepRecord; compensation: Compensation; order: number }> = [];
  for (const spec of steps) {
    if (!spec.name.startsWith(COMPENSATE_STEP)) continue;
    const step = byName.get(spec.name.slice(COMPENSATE_STEP.length));
    const stored = spec.result as unknown as Compensation & { readonly order: number };
    if (step !== undefined) done.push({ step, compensation: stored, order: stored.order });
  }
  // The order the handler made them in (stored with each, as the n-th such step): the last first.
  done.sort((a, b) => b.order - a.order);
  return done.map(({ step, compensation }) => ({
    type: compensation.type,
    payload: { jobId: job.id, step: step.name, result: step.result },
    key: `baton-compensate:${job.id}`,
    idempotencyKey: `baton-compensate:${job.id}:${step.name}`,
    tags: [`compensates:${job.id}`],
    ...(compensation.retry === undefined ? {} : { retry: compensation.retry }),
  }));
}
