import type { Attempt } from './attempt.ts';
import type { SchedulerEvent } from './events.ts';
import type { Cause, JobRecord, JobState } from './job.ts';

/** What a tick does once its batch has committed, in order. */
export class Effects {
  readonly transitions: Array<{ readonly record: JobRecord; readonly from: JobState | null; readonly cause: Cause }> = [];
  readonly events: SchedulerEvent[] = [];
  readonly settle: Array<() => void> = [];
  readonly rejections: Array<(error: unknown) => void> = [];
  readonly claimed: Attempt[] = [];
}
