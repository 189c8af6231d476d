import { IllegalTransitionError } from './errors.ts';
import { JobState } from './job.ts';

/**
 * The one place that decides which transitions are legal. `null` is the
 * state before a job exists.
 */
const LEGAL: Readonly<Record<JobState | 'new', readonly JobState[]>> = {
  // new → failed/cancelled: submitted after a dependency had already failed (by its policy).
  new: [JobState.waiting, JobState.scheduled, JobState.ready, JobState.failed, JobState.cancelled],
  waiting: [JobState.ready, JobState.scheduled, JobState.failed, JobState.cancelled],
  scheduled: [JobState.ready, JobState.failed, JobState.cancelled],
  // ready → scheduled: deferred by a breaker, budget, throttle or rate limit, no attempt spent.
  // ready → waiting: a dependency that had released it was retried, and runs again.
  ready: [JobState.running, JobState.scheduled, JobState.waiting, JobState.failed, JobState.cancelled],
  // running → ready: the lease expired, or the job was preempted.
  // running → scheduled: a retry's backoff, or a sleep. running → waiting: it joins the jobs it spawned.
  running: [JobState.succeeded, JobState.failed, JobState.cancelled, JobState.scheduled, JobState.ready, JobState.waiting],
  succeeded: [],
  // failed → ready/scheduled/waiting: a manual retry from the dead-letter set (it may wait for its key or dependencies).
  failed: [JobState.ready, JobState.scheduled, JobState.waiting],
  cancelled: [],
};

export function isLegalTransition(from: JobState | null, to: JobState): boolean {
  return LEGAL[from ?? 'new'].includes(to);
}

export function assertTransition(jobId: string, from: JobState | null, to: JobState): void {
  if (!isLegalTransition(from, to)) throw new IllegalTransitionError(jobId, from ?? '(new)', to);
}
