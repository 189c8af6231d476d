import { JobState, type Cause, type JobRecord } from './job.ts';
import type { ResolvedInput } from './input.ts';
import { canonicalJson, hash53 } from './json.ts';

const NULL_FINGERPRINT = hash53('null');
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
  const history = record.history.slice();
  history.push({ from: record.state, to, atMs: nowMs, attempt, cause });
  const next = rebuild(record, patch) as Mutable<JobRecord>;
  next.state = to;
  next.version = record.version + 1;
  next.updatedAtMs = nowMs;
  next.history = history;
  next.dueAtMs = timerOf(next);
  return next;
}

/**
 * `r` with `c`'s fields replaced. Spelled out field by field, so every
 * record has the same shape (one hidden class): a spread with patches of
 * varying keys makes records polymorphic and every access to them slower.
 */
function rebuild(r: JobRecord, c: Partial<JobRecord>): JobRecord {
  return {
    id: c.id === undefined ? r.id : c.id,
    type: c.type === undefined ? r.type : c.type,
    queue: c.queue === undefined ? r.queue : c.queue,
    payload: c.payload === undefined ? r.payload : c.payload,
    fingerprint: c.fingerprint === undefined ? r.fingerprint : c.fingerprint,
    priority: c.priority === undefined ? r.priority : c.priority,
    key: c.key === undefined ? r.key : c.key,
    fairnessKey: c.fairnessKey === undefined ? (r.fairnessKey ?? null) : c.fairnessKey,
    dedupe: c.dedupe === undefined ? (r.dedupe ?? null) : c.dedupe,
    idempotencyKey: c.idempotencyKey === undefined ? r.idempotencyKey : c.idempotencyKey,
    dependsOn: c.dependsOn === undefined ? r.dependsOn : c.dependsOn,
    after: c.after === undefined ? r.after : c.after,
    onDependencyFailure: c.onDependencyFailure === undefined ? r.onDependencyFailure : c.onDependencyFailure,
    retry: c.retry === undefined ? r.retry : c.retry,
    timeoutMs: c.timeoutMs === undefined ? r.timeoutMs : c.timeoutMs,
    deadlineAtMs: c.deadlineAtMs === undefined ? r.deadlineAtMs : c.deadlineAtMs,
    runAtMs: c.runAtMs === undefined ? r.runAtMs : c.runAtMs,
    leaseMs: c.leaseMs === undefined ? r.leaseMs : c.leaseMs,
    resource: c.resource === undefined ? r.resource : c.resource,
    trace: c.trace === undefined ? r.trace : c.trace,
    tags: c.tags === undefined ? r.tags : c.tags,
    preemptible: c.preemptible === undefined ? r.preemptible : c.preemptible,
    network: c.network === undefined ? r.network : c.network,
    state: c.state === undefined ? r.state : c.state,
    version: c.version === undefined ? r.version : c.version,
    attempt: c.attempt === undefined ? r.attempt : c.attempt,
    createdAtMs: c.createdAtMs === undefined ? r.createdAtMs : c.createdAtMs,
    updatedAtMs: c.updatedAtMs === undefined ? r.updatedAtMs : c.updatedAtMs,
    readyAtMs: c.readyAtMs === undefined ? r.readyAtMs : c.readyAtMs,
    rank: c.rank === undefined ? r.rank : c.rank,
    dueAtMs: c.dueAtMs === undefined ? r.dueAtMs : c.dueAtMs,
    startedAtMs: c.startedAtMs === undefined ? r.startedAtMs : c.startedAtMs,
    finishedAtMs: c.finishedAtMs === undefined ? r.finishedAtMs : c.finishedAtMs,
    result: c.result === undefined ? r.result : c.result,
    error: c.error === undefined ? r.error : c.error,
    retryDelayMs: c.retryDelayMs === undefined ? r.retryDelayMs : c.retryDelayMs,
    progress: c.progress === undefined ? r.progress : c.progress,
    history: c.history === undefined ? r.history : c.history,
  };
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

/**
 * `record` with a note added to its last transition's cause, in the tick
 * that made that transition (what followed from it, such as the
 * compensations a failure stored): history is otherwise never rewritten.
 */
export function noteOnLastTransition(record: JobRecord, nowMs: number, note: string): JobRecord {
  const last = record.history.at(-1)!;
  const noted = { ...last, cause: { ...last.cause, message: `${last.cause.message ?? last.cause.code}; ${note}` } };
  const next = rebuild(record, {}) as Mutable<JobRecord>;
  next.history = [...record.history.slice(0, -1), noted];
  next.version = record.version + 1;
  next.updatedAtMs = nowMs;
  return next;
}

/** A change that is not a transition (progress, lease renewal). */
export function update(record: JobRecord, nowMs: number, patch: RecordPatch): JobRecord {
  const next = rebuild(record, patch) as Mutable<JobRecord>;
  next.version = record.version + 1;
  next.updatedAtMs = nowMs;
  return next;
}

/**
 * Ready from `readyAtMs` on. The rank orders a fairness key's jobs within
 * their priority class: first ready, first claimed.
 */
export function readyPatch(readyAtMs: number): RecordPatch {
  return { readyAtMs, rank: readyAtMs, dueAtMs: null };
}

export function terminalPatch(nowMs: number, patch: RecordPatch = {}): RecordPatch {
  return { rank: null, dueAtMs: null, finishedAtMs: nowMs, ...patch };
}

/** Ready now, or scheduled if its run time is still ahead. */
export function release(record: JobRecord, nowMs: number, cause: Cause): JobRecord {
  if (record.runAtMs !== null && record.runAtMs > nowMs) {
    return transition(record, JobState.scheduled, nowMs, cause, { rank: null });
  }
  return transition(record, JobState.ready, nowMs, cause, readyPatch(nowMs));
}

/** A new record in no state yet, for `transition` to place. */
export function draft(id: string, input: ResolvedInput, dependsOn: readonly string[], after: string | null, nowMs: number): JobRecord {
  return {
    id,
    type: input.type,
    queue: input.queue,
    payload: input.payload,
    fingerprint: input.payload === null ? NULL_FINGERPRINT : hash53(canonicalJson(input.payload)),
    priority: input.priority,
    key: input.key,
    fairnessKey: input.fairnessKey,
    dedupe: input.dedupe,
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
    preemptible: input.preemptible,
    network: input.network,
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
    retryDelayMs: null,
    progress: null,
    history: [],
  };
}
