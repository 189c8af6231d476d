import type { Failure, Json, JobRecord, JobState } from './job.ts';

/** A dependency's outcome, as its dependent sees it. */
export interface DependencyResult {
  readonly id: string;
  readonly type: string;
  readonly state: JobState;
  readonly result: Json | null;
  readonly error: Failure | null;
}

/** What a handler gets besides its payload. */
export interface JobContext {
  /** The job as claimed for this attempt. */
  readonly job: JobRecord;
  /** Aborted on timeout, cancel, lease loss or scheduler stop; `signal.reason` says which. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Results of `dependsOn`, in its order. */
  readonly dependencies: readonly DependencyResult[];
  /** Records progress (persisted with the job, emitted as `job.progress`). Counts as a heartbeat. */
  progress(value: Json): void;
  /** Says the handler is alive. */
  heartbeat(): void;
  /**
   * Runs `fn` once per job: its result is stored before `step` returns, so
   * a retried or recovered attempt gets the stored result without running
   * `fn` again. This is how a side effect happens once.
   *
   * @example
   * const charge = await ctx.step('charge', () => payments.charge(order));
   * await ctx.step('email', () => mail.send(receipt(charge)));
   */
  step<T extends Json>(name: string, fn: () => T | Promise<T>): Promise<T>;
}
