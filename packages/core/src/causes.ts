/**
 * Why a job moved: the stable code on every transition in a job's history
 * (`Cause.code`). A failure the scheduler gives up on carries the failure's
 * own code instead (a `JobError`'s code, `http-503`, …).
 */
export const CauseCode = {
  submitted: 'submitted',
  /** Its dependencies and ordering-key predecessor let it run. */
  unblocked: 'unblocked',
  /** Its delay or retry backoff is over. */
  due: 'due',
  claimed: 'claimed',
  completed: 'completed',
  /** Failed, and will run again after its backoff. */
  retry: 'retry',
  /** Its worker stopped renewing the lease (crashed, closed, evicted). */
  leaseExpired: 'lease-expired',
  /** A breaker, retry budget, throttle or rate limit held it back; no attempt spent. */
  deferred: 'deferred',
  /** Parked while the network is down; no attempt spent. */
  offline: 'offline',
  online: 'online',
  /** Its handler called `ctx.sleep`: it waits for the time, its slot given up; the attempt is not counted. */
  sleeping: 'sleeping',
  /** Its handler waits for a signal (`ctx.waitForSignal`), its slot given up; the attempt is not counted. */
  waitingForSignal: 'waiting-for-signal',
  /** A signal it waited for arrived. */
  signalled: 'signalled',
  /** Its handler joins the jobs it spawned (`ctx.join`): it waits for them, its slot given up; the attempt is not counted. */
  joining: 'joining',
  /** Gave its slot to critical work; the attempt is not counted. */
  preempted: 'preempted',
  cancelled: 'cancelled',
  /** Replaced, before it started, by a newer job with the same debounce key. */
  debounced: 'debounced',
  /** Sent back from the dead-letter set. */
  manualRetry: 'manual-retry',
  deadlineExceeded: 'deadline-exceeded',
  /** Background work dropped past its deadline under congestion. */
  shed: 'shed',
  timeout: 'timeout',
  dependencyFailed: 'dependency-failed',
  dependencyMissing: 'dependency-missing',
  /** Released when a dependency ended, and waiting again because that dependency was retried. */
  dependencyRetried: 'dependency-retried',
  /** The handler returned something that is not JSON. */
  invalidResult: 'invalid-result',
} as const;
export type CauseCode = (typeof CauseCode)[keyof typeof CauseCode];
