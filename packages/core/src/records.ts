import { isTerminal, JobState, type Cause, type JobRecord } from './job.ts';
import type { ResolvedInput } from './options.ts';
import { rankOf } from './priority.ts';
import { assertTransition } from './transitions.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type RecordPatch = Partial<Mutable<Omit<JobRecord, 'id' | 'state' | 'version' | 'history'>>>;

/**
 * The only way a record changes state: checks the transition table, bumps
 * the version and appends to the audit trail.
 */
export function transition(record: JobRecord, to: JobState, nowMs: number, cause: Cause, patch: RecordPatch = {}): JobRecord {
  assertTransition(record.id, record.state, to);
  const attempt = patch.attempt ?? record.attempt;
  const next: JobRecord = {
    ...record,
    ...patch,
    state: to,
    version: record.version + 1,
    updatedAtMs: nowMs,
    history: [...record.history, { from: record.state, to, atMs: nowMs, attempt, cause }],
  };
  return { ...next, dueAtMs: timerOf(next) };
}

/**
 * A job's one timer: when it becomes runnable (scheduled), when its lease
 * lapses (running), and in every live state its deadline, so a job that
 * cannot start in time fails at its deadline, not whenever it is next looked at.
 */
function timerOf(r: JobRecord): number | null {
  switch (r.state) {
    case JobState.waiting:
    case JobState.ready:
      return r.deadlineAtMs;
    case JobState.scheduled:
      return r.deadlineAtMs === null ? r.runAtMs : Math.min(r.runAtMs ?? r.deadlineAtMs, r.deadlineAtMs);
    case JobState.running:
      return r.dueAtMs;
    default:
      return null;
  }
}

/** A change that is not a transition (progress, lease renewal). */
export function update(record: JobRecord, nowMs: number, patch: RecordPatch): JobRecord {
  return { ...record, ...patch, version: record.version + 1, updatedAtMs: nowMs };
}

/** Ready from `readyAtMs` on, ranked by priority with aging. */
export function readyPatch(record: Pick<JobRecord, 'priority'>, readyAtMs: number, agingStepMs: number): RecordPatch {
  return { readyAtMs, rank: rankOf(readyAtMs, record.priority, agingStepMs), dueAtMs: null };
}

export function terminalPatch(nowMs: number, patch: RecordPatch = {}): RecordPatch {
  return { rank: null, dueAtMs: null, finishedAtMs: nowMs, ...patch };
}

/** Ready now, or scheduled if its run time is still ahead. */
export function release(record: JobRecord, nowMs: number, agingStepMs: number, cause: Cause): JobRecord {
  if (record.runAtMs !== null && record.runAtMs > nowMs) {
    return transition(record, JobState.scheduled, nowMs, cause, { rank: null });
  }
  return transition(record, JobState.ready, nowMs, cause, readyPatch(record, nowMs, agingStepMs));
}

/** A new record in no state yet, for `transition` to place. */
export function draft(id: string, input: ResolvedInput, dependsOn: readonly string[], after: string | null, nowMs: number): JobRecord {
  return {
    id,
    type: input.type,
    queue: input.queue,
    payload: input.payload,
    priority: input.priority,
    key: input.key,
    idempotencyKey: input.idempotencyKey,
    dependsOn,
    after,
    onDependencyFailure: input.onDependencyFailure,
    retry: input.retry,
    timeoutMs: input.timeoutMs,
    deadlineAtMs: input.deadlineAtMs,
    runAtMs: input.runAtMs,
    leaseMs: input.leaseMs,
    resource: input.resource,
    trace: input.trace ?? null,
    tags: input.tags,
    state: null as unknown as JobState,
    version: 0,
    attempt: 0,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    readyAtMs: null,
    rank: null,
    dueAtMs: null,
    startedAtMs: null,
    finishedAtMs: null,
    result: null,
    error: null,
    progress: null,
    history: [],
  };
}

export type BlockerVerdict =
  | { readonly kind: 'blocked' }
  | { readonly kind: 'clear' }
  | { readonly kind: 'doomed'; readonly to: typeof JobState.failed | typeof JobState.cancelled; readonly cause: Cause };

const BLOCKED: BlockerVerdict = { kind: 'blocked' };
const CLEAR: BlockerVerdict = { kind: 'clear' };

/**
 * Whether a job's dependencies and ordering-key predecessor let it run.
 * A failed or cancelled dependency dooms it unless its policy is `continue`.
 */
export function evaluateBlockers(job: JobRecord, deps: ReadonlyArray<JobRecord | undefined>, after: JobRecord | undefined): BlockerVerdict {
  let blocked = after !== undefined && !isTerminal(after.state);
  for (let i = 0; i < job.dependsOn.length; i++) {
    const dep = deps[i];
    if (dep === undefined) {
      if (job.onDependencyFailure === 'continue') continue;
      return doomed(job, { code: 'dependency-missing', message: `dependency ${job.dependsOn[i]} no longer exists` });
    }
    if (dep.state === JobState.succeeded) continue;
    if (dep.state === JobState.failed || dep.state === JobState.cancelled) {
      if (job.onDependencyFailure === 'continue') continue;
      return doomed(job, { code: 'dependency-failed', message: `dependency ${dep.id} (${dep.type}) ${dep.state}` });
    }
    blocked = true;
  }
  return blocked ? BLOCKED : CLEAR;
}

function doomed(job: JobRecord, cause: Cause): BlockerVerdict {
  return { kind: 'doomed', to: job.onDependencyFailure === 'cancel' ? JobState.cancelled : JobState.failed, cause };
}
