import type { Attempt } from './attempt.ts';
import { CauseCode } from './causes.ts';
import { ErrorCode, TimeoutError } from './errors.ts';
import { correlationId, EventName } from './events.ts';
import { failure } from './failure.ts';
import { type Cause, type Failure, FailureKind, type Json, JobState, type JobRecord } from './job.ts';
import { update } from './records.ts';
import type { TickContext } from './tick-context.ts';

/** What a finished (or given up) attempt leads to, as the tick that settles it sees it. */
export type Outcome =
  | { readonly attempt: Attempt; readonly ok: true; readonly result: Json }
  | { readonly attempt: Attempt; readonly ok: false; readonly failure: Failure; readonly deadline: boolean }
  /** The handler called `ctx.sleep`: the job waits until `untilMs`, its slot given up, its attempt not counted. */
  | {
      readonly attempt: Attempt;
      readonly ok: 'sleep';
      readonly untilMs: number;
      /** A wait for this signal. */
      readonly signal: string | null;
      /** A join of these jobs (`untilMs` is then Infinity). */
      readonly join: readonly string[] | null;
    };

/** Progress a handler reported since the last tick (a heartbeat with a value). */
export type Beats = Map<string, { progress: Json | undefined }>;

/**
 * The attempts this scheduler runs, and the leases they hold: which attempt
 * holds which job, how many run per queue, renewal before a lease lapses,
 * timeouts, and recovery of jobs whose lease lapsed elsewhere (a crashed
 * worker, a closed tab, an evicted object). The scheduler only asks.
 */
export class Leases {
  private readonly attempts = new Map<string, Attempt>();
  private readonly running = new Map<string, number>();
  private readonly onDrop: () => void;

  constructor(queues: Iterable<string>, onDrop: () => void) {
    for (const queue of queues) this.running.set(queue, 0);
    this.onDrop = onDrop;
  }

  get size(): number {
    return this.attempts.size;
  }

  all(): IterableIterator<Attempt> {
    return this.attempts.values();
  }

  /** The live attempt holding job `id`, if this scheduler runs it. */
  holder(id: string): Attempt | undefined {
    return this.attempts.get(id);
  }

  /** Whether `attempt` still holds its job (not cancelled, preempted, timed out or abandoned meanwhile). */
  holds(attempt: Attempt): boolean {
    return this.attempts.get(attempt.record.id) === attempt;
  }

  runningIn(queue: string): number {
    return this.running.get(queue)!;
  }

  add(attempt: Attempt): void {
    this.attempts.set(attempt.record.id, attempt);
    this.running.set(attempt.record.queue, this.running.get(attempt.record.queue)! + 1);
  }

  /** The attempt no longer holds a slot (its outcome is being settled, or it was given up). */
  drop(attempt: Attempt): void {
    if (!this.holds(attempt)) return;
    this.attempts.delete(attempt.record.id);
    this.running.set(attempt.record.queue, this.running.get(attempt.record.queue)! - 1);
    this.onDrop();
  }

  /** Stops an attempt without an outcome: its signal is aborted and its late result ignored. */
  abandon(attempt: Attempt, reason: Error): void {
    if (!attempt.settled) attempt.span?.end({ outcome: 'abandoned', failure: null, retryDelayMs: null });
    attempt.settled = true;
    attempt.abort(reason);
    this.drop(attempt);
  }

  /** Attempts past their timeout are aborted; their outcomes are failures to settle now. */
  expire(nowMs: number): Outcome[] {
    const out: Outcome[] = [];
    for (const attempt of this.attempts.values()) {
      if (attempt.settled || attempt.timeoutAtMs === null || nowMs < attempt.timeoutAtMs) continue;
      const message = attempt.timeoutIsDeadline
        ? `deadline ${attempt.record.deadlineAtMs} reached during attempt ${attempt.record.attempt}`
        : `attempt ${attempt.record.attempt} timed out after ${attempt.record.timeoutMs} ms`;
      const reason = failure(FailureKind.timeout, attempt.timeoutIsDeadline ? CauseCode.deadlineExceeded : CauseCode.timeout, message);
      attempt.abort(new TimeoutError(message, attempt.timeoutIsDeadline ? ErrorCode.deadlineExceeded : ErrorCode.timeout));
      attempt.settled = true;
      out.push({ attempt, ok: false, failure: reason, deadline: attempt.timeoutIsDeadline });
    }
    return out;
  }

  /** Persists reported progress, and renews the leases of live attempts before they lapse. */
  renew(ctx: TickContext, beats: Beats): void {
    for (const [id, beat] of beats) {
      const attempt = this.attempts.get(id);
      if (attempt === undefined || beat.progress === undefined) continue;
      const base = ctx.current(attempt.record);
      ctx.tick.put(update(base, ctx.now, { progress: beat.progress, dueAtMs: ctx.now + base.leaseMs }), base);
      ctx.fx.events.push(progressEvent(base, ctx.now, beat.progress));
    }
    for (const attempt of this.attempts.values()) {
      const base = ctx.current(attempt.record);
      if (base.state !== JobState.running || base.dueAtMs === null || base.dueAtMs - ctx.now > base.leaseMs / 2) continue;
      ctx.tick.put(update(base, ctx.now, { dueAtMs: ctx.now + base.leaseMs }), base);
    }
  }

  /**
   * A running job whose lease timer came due. Ours (renewed late, the
   * process slept): the lease is extended. Anyone else's: the holder is
   * gone; returns the cause to recover it with.
   */
  lapsed(ctx: TickContext, base: JobRecord): Cause | null {
    if (this.attempts.has(base.id)) {
      ctx.tick.put(update(base, ctx.now, { dueAtMs: ctx.now + base.leaseMs }), base);
      return null;
    }
    const cause: Cause = { code: CauseCode.leaseExpired, message: `lease expired at ${base.dueAtMs} during attempt ${base.attempt}` };
    ctx.fx.events.push({
      name: EventName.stalled,
      jobId: base.id,
      type: base.type,
      queue: base.queue,
      atMs: ctx.now,
      attempt: base.attempt,
      correlationId: correlationId(base),
      cause,
    });
    return cause;
  }

  /** The earliest renewal or timeout among live attempts. */
  nextWakeMs(): number | null {
    let wake: number | null = null;
    for (const attempt of this.attempts.values()) {
      const renewAt = attempt.record.dueAtMs === null ? null : attempt.record.dueAtMs - attempt.record.leaseMs / 2;
      if (renewAt !== null && (wake === null || renewAt < wake)) wake = renewAt;
      if (attempt.timeoutAtMs !== null && (wake === null || attempt.timeoutAtMs < wake)) wake = attempt.timeoutAtMs;
    }
    return wake;
  }

  /** After a commit: live attempts see their job as stored (renewed lease, progress). */
  refresh(written: Iterable<JobRecord>): void {
    for (const record of written) {
      const attempt = this.attempts.get(record.id);
      if (attempt !== undefined && record.state === JobState.running) attempt.record = record;
    }
  }

  /** Running jobs whose handler has not heartbeated for `silentAfterMs`. */
  silent(nowMs: number, silentAfterMs: number): string[] {
    const out: string[] = [];
    for (const [id, attempt] of this.attempts) if (nowMs - attempt.lastBeatMs >= silentAfterMs) out.push(id);
    return out;
  }
}

export function progressEvent(base: JobRecord, nowMs: number, progress: Json) {
  return {
    name: EventName.progress,
    jobId: base.id,
    type: base.type,
    queue: base.queue,
    atMs: nowMs,
    attempt: base.attempt,
    correlationId: correlationId(base),
    progress,
  };
}
