import type { Attempt } from './attempt.ts';
import { correlationId, type Emitter, STATE_EVENT, type SchedulerEvent } from './events.ts';
import type { Cause, JobRecord, JobState } from './job.ts';
import type { Waiters } from './waiters.ts';

/** What a tick does once its batch has committed, in order. */
export class Effects {
  readonly transitions: Array<{ readonly record: JobRecord; readonly from: JobState | null; readonly cause: Cause }> = [];
  readonly events: SchedulerEvent[] = [];
  readonly settle: Array<() => void> = [];
  readonly rejections: Array<(error: unknown) => void> = [];
  readonly claimed: Attempt[] = [];

  /** Answers the waiters of jobs that finished, then emits every transition and event, in order. */
  publish(emitter: Emitter, waiters: Waiters): void {
    const listening = emitter.hasListeners;
    for (const { record, from, cause } of this.transitions) {
      waiters.settled(record);
      if (!listening) continue;
      emitter.emit({
        name: STATE_EVENT[record.state],
        jobId: record.id,
        type: record.type,
        queue: record.queue,
        atMs: record.updatedAtMs,
        attempt: record.attempt,
        correlationId: correlationId(record),
        from,
        to: record.state,
        cause,
        job: record,
      });
    }
    if (listening) for (const event of this.events) emitter.emit(event);
  }
}
