import type { Cause, Json, JobRecord, JobState } from './job.ts';

/** Every event name the scheduler emits. */
export const EventName = {
  waiting: 'job.waiting',
  scheduled: 'job.scheduled',
  ready: 'job.ready',
  running: 'job.running',
  succeeded: 'job.succeeded',
  failed: 'job.failed',
  cancelled: 'job.cancelled',
  progress: 'job.progress',
  /** A running job's lease expired: its worker died or hung. It is recovered. */
  stalled: 'job.stalled',
  /** A submit matched an existing idempotency key. */
  deduplicated: 'job.deduplicated',
} as const;
export type EventName = (typeof EventName)[keyof typeof EventName];

export type TransitionEventName = `job.${JobState}`;

export const STATE_EVENT: Readonly<Record<JobState, TransitionEventName>> = {
  waiting: EventName.waiting,
  scheduled: EventName.scheduled,
  ready: EventName.ready,
  running: EventName.running,
  succeeded: EventName.succeeded,
  failed: EventName.failed,
  cancelled: EventName.cancelled,
};

interface EventBase {
  readonly jobId: string;
  readonly type: string;
  readonly queue: string;
  readonly atMs: number;
  readonly attempt: number;
  /** The job's trace id, or its id: ties log records to one job across runtimes. */
  readonly correlationId: string;
}

export interface TransitionEvent extends EventBase {
  readonly name: TransitionEventName;
  readonly from: JobState | null;
  readonly to: JobState;
  readonly cause: Cause;
  readonly job: JobRecord;
}

export interface ProgressEvent extends EventBase {
  readonly name: typeof EventName.progress;
  readonly progress: Json;
}

export interface StalledEvent extends EventBase {
  readonly name: typeof EventName.stalled;
  readonly cause: Cause;
}

/** A submit answered with a job that exists: by its idempotency key, or by a throttling dedupe key. */
export interface DeduplicatedEvent extends EventBase {
  readonly name: typeof EventName.deduplicated;
  readonly idempotencyKey: string | null;
  readonly dedupeKey: string | null;
}

export type SchedulerEvent = TransitionEvent | ProgressEvent | StalledEvent | DeduplicatedEvent;

export type EventOf<N extends EventName> =
  Extract<SchedulerEvent, { readonly name: N }> extends never ? TransitionEvent : Extract<SchedulerEvent, { readonly name: N }>;

export type Listener<E> = (event: E) => void;

/** Subscribers per name, plus `*` for all. A throwing listener never breaks the scheduler. */
export class Emitter {
  private readonly listeners = new Map<EventName | '*', Set<Listener<SchedulerEvent>>>();
  private readonly onListenerError: (error: unknown, event: SchedulerEvent) => void;

  constructor(onListenerError: (error: unknown, event: SchedulerEvent) => void) {
    this.onListenerError = onListenerError;
  }

  on(name: EventName | '*', listener: Listener<SchedulerEvent>): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  get hasListeners(): boolean {
    for (const set of this.listeners.values()) if (set.size > 0) return true;
    return false;
  }

  emit(event: SchedulerEvent): void {
    this.deliver(this.listeners.get(event.name), event);
    this.deliver(this.listeners.get('*'), event);
  }

  private deliver(set: Set<Listener<SchedulerEvent>> | undefined, event: SchedulerEvent): void {
    if (set === undefined) return;
    for (const listener of set) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }
}

/** The job's trace id, or its id: ties log records to one job across runtimes. */
export function correlationId(record: JobRecord): string {
  return record.trace === null ? record.id : record.trace.traceparent.slice(3, 35);
}
