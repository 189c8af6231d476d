import { JobState, type JobRecord } from '../../job.ts';

let serial = 0;

/** A valid record with overrides, for contract tests that bypass the scheduler. */
export function sampleRecord(overrides: Partial<JobRecord> = {}): JobRecord {
  serial++;
  return {
    id: `01JOB${String(serial).padStart(8, '0')}`,
    type: 'noop',
    queue: 'default',
    payload: { n: serial, nested: { list: [1, 'two', null, true] } },
    fingerprint: `fp-${serial}`,
    priority: 2,
    key: null,
    fairnessKey: null,
    dedupe: null,
    idempotencyKey: null,
    dependsOn: [],
    after: null,
    onDependencyFailure: 'fail',
    retry: {
      maxAttempts: 3,
      backoff: { kind: 'exponential', delayMs: 1000, factor: 2, maxDelayMs: 60_000, jitter: 'full', priorityScale: 0.5 },
      onTimeout: 'retry',
    },
    timeoutMs: null,
    deadlineAtMs: null,
    runAtMs: null,
    leaseMs: 30_000,
    resource: null,
    trace: null,
    tags: [],
    preemptible: false,
    network: false,
    state: JobState.ready,
    version: 1,
    attempt: 0,
    createdAtMs: 1000,
    updatedAtMs: 1000,
    readyAtMs: 1000,
    rank: 1000,
    dueAtMs: null,
    startedAtMs: null,
    finishedAtMs: null,
    result: null,
    error: null,
    retryDelayMs: null,
    progress: null,
    history: [{ from: null, to: JobState.ready, atMs: 1000, attempt: 0, cause: { code: 'submitted' } }],
    ...overrides,
  };
}
