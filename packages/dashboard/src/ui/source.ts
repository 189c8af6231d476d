import type { JobRecord, ListPage, ListQuery, MetricsSnapshot, SchedulerEvent, StepRecord } from '@baton/core';

type WithoutJob<E> = E extends E ? Omit<E, 'job'> : never;

/**
 * A scheduler event as the dashboard's feed gets it: without the job's full
 * record (the edge's event stream leaves it out, and the feed keeps only
 * what it shows).
 */
export type FeedEvent = WithoutJob<SchedulerEvent>;

/** The live feed's connection, as the header shows it. */
export type FeedStatus =
  | { readonly state: 'connecting' }
  | { readonly state: 'open' }
  /** The stream dropped (or was refused); the next try is in `inMs`. */
  | { readonly state: 'retrying'; readonly inMs: number; readonly error: string }
  /** Given up for good: the token was refused, or the source has no events. */
  | { readonly state: 'closed'; readonly error: string };

/**
 * What the dashboard reads and does, per queue: the scheduler's metrics, its
 * jobs (a page at a time), a job's record and steps, retry and cancel, and
 * its events. Two implementations come with the package: `edgeSource` (the
 * edge's HTTP API) and `localSource` (a page's own scheduler); anything else
 * that answers these calls can be shown too.
 *
 * Errors are thrown as Baton errors (`code`, `message`, `retryable`,
 * `retryAfterMs`); a `code` of `unauthorized` sends the standalone page
 * back to its token form.
 */
export interface DashboardSource {
  /** Where the data comes from, for the header: an origin, or "this page". */
  readonly label: string;
  /** The queues to offer, in order; the first is shown first. */
  queues(): Promise<readonly string[]>;
  metrics(queue: string): Promise<MetricsSnapshot>;
  /** One page of jobs: never more than `query.limit` (at most 100). */
  list(queue: string, query: ListQuery): Promise<ListPage>;
  get(queue: string, id: string): Promise<JobRecord | undefined>;
  steps(queue: string, id: string): Promise<readonly StepRecord[]>;
  /** Sends a failed job back to run. */
  retry(queue: string, id: string): Promise<JobRecord>;
  /** Ends a job that has not finished. */
  cancel(queue: string, id: string): Promise<JobRecord>;
  /**
   * Every event of the queue as it happens, until the returned function is
   * called. The source reconnects by itself when its stream drops, and says
   * how it goes through `onStatus`.
   */
  events(queue: string, onEvent: (event: FeedEvent) => void, onStatus?: (status: FeedStatus) => void): () => void;
}

/** Drops the record an event carries, so the feed holds only what it shows. */
export function feedEvent(event: SchedulerEvent | FeedEvent): FeedEvent {
  if (!('job' in event)) return event;
  const { job: _job, ...rest } = event;
  return rest as FeedEvent;
}
