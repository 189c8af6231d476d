import type { Attempt } from './attempt.ts';
import { correlationId, type Emitter, STATE_EVENT, type SchedulerEvent, type TransitionEvent } from './events.ts';
import type { Instrumentation } from './instrumentation.ts';
import { type Cause, type JobRecord, JobState } from './job.ts';
import type { Logger } from './options.ts';
import type { Waiters } from './waiters.ts';

/** A job's transition as a log record: failures at warn, the rest at debug; every field that ties it to its job. */
function log(logger: Logger, record: JobRecord, from: JobState | null, cause: Cause): void {
  const fields = {
    jobId: record.id,
    type: record.type,
    queue: record.queue,
    attempt: record.attempt,
    traceId: record.trace === null ? null : record.trace.traceparent.slice(3, 35),
    from,
    to: record.state,
    cause: cause.code,
    ...(cause.message === undefined ? {} : { reason: cause.message }),
    ...(cause.actor === undefined ? {} : { actor: cause.actor }),
  };
  if (record.state === JobState.failed) logger.warn?.('job failed', fields);
  else logger.debug?.(`job ${record.state}`, fields);
}

/** What a tick does once its batch has committed, in order. */
export class Effects {
  readonly transitions: Array<{ readonly record: JobRecord; readonly from: JobState | null; readonly cause: Cause }> = [];
  readonly events: SchedulerEvent[] = [];
  readonly settle: Array<() => void> = [];
  readonly rejections: Array<(error: unknown) => void> = [];
  readonly claimed: Attempt[] = [];

  /**
   * Answers the waiters of jobs that finished, then emits every transition
   * and event, in order, to listeners, instrumentation and the log.
   */
  publish(emitter: Emitter, waiters: Waiters, instrumentation: Instrumentation | null, logger: Logger): void {
    const listening = emitter.hasListeners || instrumentation?.event !== undefined;
    const debug = logger.debug;
    for (const { record, from, cause } of this.transitions) {
      waiters.settled(record);
      if (debug !== undefined || (record.state === JobState.failed && logger.warn !== undefined)) log(logger, record, from, cause);
      if (!listening) continue;
      const event: TransitionEvent = {
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
      };
      emitter.emit(event);
      instrumentation?.event?.(event);
    }
    if (!listening) return;
    for (const event of this.events) {
      emitter.emit(event);
      instrumentation?.event?.(event);
    }
  }
}
