import type { Clock, TimerHandle } from './clock.ts';
import { Attempt, type AttemptHost } from './attempt.ts';
import type { DependencyResult } from './context.ts';
import { correlationId, Emitter, EventName, STATE_EVENT, type EventOf, type Listener, type SchedulerEvent } from './events.ts';
import { IllegalTransitionError, StoppedError, UnknownJobError, ValidationError } from './errors.ts';
import { classify } from './classify.ts';
import { failure } from './failure.ts';
import { ResourceHealth } from './health.ts';
import { createIdGenerator } from './ids.ts';
import { assertJson } from './json.ts';
import { FailureKind, JobState, PRIORITY_LEVELS, isTerminal, type Cause, type Failure, type JobInput, type Json, type JobRecord } from './job.ts';
import { MetricsRecorder, type MetricsSnapshot } from './metrics.ts';
import { resolveOptions, type Handlers, type PayloadOf, type ResolvedOptions, type SchedulerOptions } from './options.ts';
import type { Random } from './random.ts';
import { evaluateBlockers, readyPatch, release, terminalPatch, transition, update } from './records.ts';
import { isEmptyBatch, type ListPage, type ListQuery, type Store } from './store.ts';
import { Tick } from './tick.ts';
import { admitUnit, prepareUnit, type SubmitResult, type SubmitUnit } from './admission.ts';
import { Effects } from './effects.ts';

/** `submit` input for one of the registered handler types. */
export type SubmitInput<H extends Handlers> = {
  [T in keyof H & string]: JobInput<T, PayloadOf<H[T]>>;
}[keyof H & string];

export interface StopOptions {
  /** Abort running handlers instead of waiting for them; their jobs are recovered after their lease. @default false */
  readonly abort?: boolean;
}

type Outcome =
  | { readonly attempt: Attempt; readonly ok: true; readonly result: Json }
  | { readonly attempt: Attempt; readonly ok: false; readonly failure: Failure; readonly deadline: boolean };

interface Operation {
  readonly kind: 'cancel' | 'retry';
  readonly id: string;
  readonly resolve: (job: JobRecord) => void;
  readonly reject: (error: unknown) => void;
}

interface StepWrite {
  readonly jobId: string;
  readonly name: string;
  readonly result: Json;
  readonly attempt: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const NO_DEPENDENCIES: readonly DependencyResult[] = [];
const CLAIMED: Cause = { code: 'claimed' };
const COMPLETED: Cause = { code: 'completed' };

/** Network errors in a row (no network job getting through between them) that mean the network is down. */
const OFFLINE_AFTER_ERRORS = 2;

/**
 * The scheduler engine. Every change happens in a tick: take what arrived
 * (submits, handler outcomes, cancels, steps, heartbeats), promote due timers,
 * claim ready work into free slots, and commit it all as one store batch.
 * Only after the commit are events emitted, promises settled and handlers
 * started, so nothing is observed that the store has not kept.
 */
export class Scheduler<H extends Handlers = Handlers> {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly handlers: H;
  private readonly options: ResolvedOptions;
  private readonly nextId: (nowMs: number) => string;
  private readonly emitter: Emitter;
  private readonly metricsRecorder = new MetricsRecorder();
  private readonly health: ResourceHealth;

  private status: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  /** Ready jobs in the store (all queues), counted from the first tick on. */
  private readyDepth: number | null = null;
  /** Waiting jobs in the store: while there are none, a finished job has no one to release. */
  private waitingDepth = 0;
  /** 0 (calm) to 1 (fully congested), from the ready depth. */
  private congestion = 0;
  /** The aging step in force: it grows with congestion, favouring high priority more. */
  private stepMs = 0;
  /** Until when network jobs are held back: set by `setOnline(false)` or by network errors. */
  private offlineUntilMs: number | null = null;
  /** Network errors since a network job last got through (any answer, success or not). */
  private networkErrors = 0;
  private explicitlyOffline = false;
  /** Jobs this scheduler parked for being offline: released at once when it is back online. */
  private readonly parked = new Set<string>();
  private resumeParked = false;
  private pumping: Promise<void> | null = null;
  private dirty = false;
  private timer: { readonly handle: TimerHandle; readonly atMs: number } | null = null;

  private units: SubmitUnit[] = [];
  private outcomes: Outcome[] = [];
  private operations: Operation[] = [];
  private stepWrites: StepWrite[] = [];
  private beats = new Map<string, { progress: Json | undefined }>();
  private readonly attempts = new Map<string, Attempt>();
  private readonly running = new Map<string, number>();
  private readonly terminalWaiters = new Map<string, Array<(job: JobRecord) => void>>();
  private readonly host: AttemptHost = {
    now: () => this.clock.now(),
    loadSteps: async (jobId) => new Map((await this.store.steps(jobId)).map((s) => [s.name, s.result])),
    writeStep: (jobId, name, result, attempt) =>
      new Promise<void>((resolve, reject) => {
        this.stepWrites.push({ jobId, name, result, attempt, resolve, reject });
        this.kick();
      }),
    recordProgress: (jobId, progress) => {
      this.beats.set(jobId, { progress });
      this.kick();
    },
  };

  constructor(options: SchedulerOptions<H>) {
    this.options = resolveOptions(options);
    this.health = new ResourceHealth(this.options);
    this.stepMs = this.options.agingStepMs;
    this.store = options.store;
    this.clock = options.clock;
    this.random = options.random;
    this.handlers = options.handlers;
    this.nextId = createIdGenerator(options.random);
    this.emitter = new Emitter((error, event) => this.options.logger.error('event listener threw', { error, event: event.name, jobId: event.jobId }));
    for (const queue of this.options.queues.keys()) this.running.set(queue, 0);
    if (this.options.autoStart) this.start();
  }

  /**
   * Starts processing: recovers timers from the store and claims ready work.
   * Called by the constructor unless `autoStart` is `false`; calling it again
   * does nothing. Before it, submits, cancels and retries are stored as
   * usual, and nothing runs.
   */
  start(): void {
    if (this.status === 'stopping' || this.status === 'stopped') throw new StoppedError();
    if (this.status === 'running') return;
    this.status = 'running';
    this.kick();
  }

  /**
   * Stops claiming work. By default waits for running handlers and commits
   * their outcomes; with `abort`, aborts them and leaves their jobs to be
   * recovered after their lease, as after a crash.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.status === 'stopped') return;
    this.status = 'stopping';
    if (options.abort === true) {
      for (const attempt of this.attempts.values()) this.abandon(attempt, new StoppedError());
    }
    while (this.attempts.size > 0 || this.pumping !== null || this.pendingWork()) {
      if (this.pumping !== null) await this.pumping;
      else if (this.pendingWork()) await this.pump();
      else await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    this.status = 'stopped';
    this.clearTimer();
    const stopped = new StoppedError();
    for (const unit of this.units.splice(0)) unit.reject(stopped);
    for (const op of this.operations.splice(0)) op.reject(stopped);
  }

  private readonly idleWaiters: Array<() => void> = [];

  /**
   * Submits one job. Resolves once the job is stored; rejects with a
   * `ValidationError` (bad input), `IdempotencyConflictError` or
   * `DependencyCycleError`, having stored nothing.
   *
   * @example
   * const { job } = await scheduler.submit({ type: 'resize', payload: { url }, priority: Priority.high });
   */
  submit(input: SubmitInput<H>): Promise<SubmitResult> {
    return this.submitAll([input]).then((results) => results[0]!);
  }

  /**
   * Submits jobs atomically: all are stored or none. Jobs may depend on each
   * other through `ref`; a cycle is refused with the cycle named.
   *
   * @example
   * await scheduler.submitAll([
   *   { ref: 'fetch', type: 'fetch', payload: { url } },
   *   { type: 'index', dependsOn: ['fetch'] },
   * ]);
   */
  submitAll(inputs: ReadonlyArray<SubmitInput<H>>): Promise<SubmitResult[]> {
    try {
      if (this.status === 'stopping' || this.status === 'stopped') throw new StoppedError();
      const unit = prepareUnit(inputs as ReadonlyArray<JobInput<string, unknown>>, this.handlers, this.options, this.clock.now(), this.nextId);
      return new Promise((resolve, reject) => {
        this.units.push({ ...unit, resolve, reject });
        this.kick();
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Tells the scheduler whether the network is up (the browser's `online`
   * and `offline` events, say). Offline, jobs submitted with `network: true`
   * are parked without spending attempts; back online, they are released.
   * A network error from a handler parks its job for `offlineRetryMs`; a
   * second one in a row, with no network job getting through in between,
   * holds back every network job as well (the network is down, not one
   * request unlucky).
   */
  setOnline(online: boolean): void {
    this.explicitlyOffline = !online;
    if (online) this.networkErrors = 0;
    this.offlineUntilMs = online ? null : this.offlineUntilMs;
    if (online) this.resumeParked = true;
    this.kick();
  }

  /** Whether jobs that need the network may start now. */
  isOnline(): boolean {
    return !this.explicitlyOffline && (this.offlineUntilMs === null || this.clock.now() >= this.offlineUntilMs);
  }

  /** Cancels a job that has not finished; a running handler's signal is aborted. */
  cancel(id: string): Promise<JobRecord> {
    return this.operate('cancel', id);
  }

  /** Sends a failed job (from the dead-letter set) back to run, with a fresh attempt count. */
  retry(id: string): Promise<JobRecord> {
    return this.operate('retry', id);
  }

  get(id: string): Promise<JobRecord | undefined> {
    return this.store.get(id);
  }

  list(query: ListQuery = {}): Promise<ListPage> {
    return this.store.list(query);
  }

  /** Resolves with the job once it is succeeded, failed or cancelled. */
  async waitFor(id: string): Promise<JobRecord> {
    const settled = new Promise<JobRecord>((resolve) => {
      let list = this.terminalWaiters.get(id);
      if (list === undefined) {
        list = [];
        this.terminalWaiters.set(id, list);
      }
      list.push(resolve);
    });
    const current = await this.store.get(id);
    if (current === undefined) {
      this.terminalWaiters.delete(id);
      throw new UnknownJobError(id);
    }
    if (isTerminal(current.state)) {
      this.terminalWaiters.delete(id);
      return current;
    }
    return settled;
  }

  /** Subscribes to one event, or to all with `'*'`. Returns the unsubscribe function. */
  on<N extends EventName>(name: N, listener: Listener<EventOf<N>>): () => void;
  on(name: '*', listener: Listener<SchedulerEvent>): () => void;
  on(name: EventName | '*', listener: Listener<never>): () => void {
    return this.emitter.on(name, listener as Listener<SchedulerEvent>);
  }

  async metrics(): Promise<MetricsSnapshot> {
    const now = this.clock.now();
    const silent: string[] = [];
    for (const [id, attempt] of this.attempts) if (now - attempt.lastBeatMs >= this.options.silentAfterMs) silent.push(id);
    return {
      ...this.metricsRecorder.snapshot(now, await this.store.counts(), silent),
      resources: this.health.snapshot(now),
      congestion: { readyDepth: this.readyDepth ?? 0, level: this.congestion, agingStepMs: this.stepMs },
    };
  }

  /** Resolves when no tick is in progress or pending. Handlers may still be running. */
  async whenIdle(): Promise<void> {
    while (this.pumping !== null) await this.pumping;
  }

  // ---- input ---------------------------------------------------------------

  private operate(kind: Operation['kind'], id: string): Promise<JobRecord> {
    if (this.status === 'stopping' || this.status === 'stopped') return Promise.reject(new StoppedError());
    if (typeof id !== 'string' || id.length === 0) return Promise.reject(new ValidationError('id', `Expected \`id\` to be a job id, got ${String(id)}`));
    return new Promise((resolve, reject) => {
      this.operations.push({ kind, id, resolve, reject });
      this.kick();
    });
  }

  // ---- the loop ------------------------------------------------------------

  private pendingWork(): boolean {
    return this.dirty || this.units.length > 0 || this.outcomes.length > 0 || this.operations.length > 0 || this.stepWrites.length > 0;
  }

  private kick(): void {
    this.dirty = true;
    // Not started yet, a tick still stores what arrived (it claims nothing): a submit never hangs.
    if (this.pumping === null && this.status !== 'stopped') void this.pump();
  }

  private pump(): Promise<void> {
    if (this.pumping !== null) return this.pumping;
    const run = async (): Promise<void> => {
      try {
        while (this.dirty && this.status !== 'stopped') {
          this.dirty = false;
          try {
            await this.tick();
          } catch (error) {
            this.options.logger.error('scheduler tick failed', { error });
          }
        }
      } finally {
        this.pumping = null;
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    };
    this.pumping = run();
    return this.pumping;
  }

  private async tick(): Promise<void> {
    const now = this.clock.now();
    if (this.readyDepth === null) {
      const counts = await this.store.counts();
      this.readyDepth = counts.ready.reduce((a, b) => a + b, 0);
      this.waitingDepth = counts.waiting.reduce((a, b) => a + b, 0);
      this.updateCongestion(); // from then on, kept current after each commit
    }
    const tick = new Tick(this.store);
    const fx = new Effects();
    const units = this.units;
    const operations = this.operations;
    const stepWrites = this.stepWrites;
    const beats = this.beats;
    this.units = [];
    this.operations = [];
    this.stepWrites = [];
    this.beats = new Map();

    for (const unit of units) await admitUnit(unit, tick, now, fx, this.stepMs);
    this.expireAttempts(now);
    const outcomes = this.outcomes;
    this.outcomes = [];
    for (const outcome of outcomes) await this.settle(outcome, tick, now, fx, beats);
    for (const op of operations) await this.applyOperation(op, tick, now, fx);
    for (const step of stepWrites) {
      tick.putStep({ jobId: step.jobId, name: step.name, result: step.result, attempt: step.attempt, atMs: now });
      fx.settle.push(step.resolve);
      fx.rejections.push(step.reject);
    }
    this.renew(beats, tick, now, fx);
    if (this.resumeParked) await this.releaseParked(tick, now, fx);
    if (this.status === 'running') {
      await this.promote(tick, now, fx);
      await this.claim(tick, now, fx);
    }

    this.health.flush(tick);
    const batch = tick.batch();
    try {
      if (!isEmptyBatch(batch)) await this.store.commit(batch);
    } catch (error) {
      // Nothing of this tick was kept: claimed handlers never start, and
      // settled attempts stay `running` in the store until their lease
      // expires and they are recovered.
      for (const attempt of fx.claimed) this.dropAttempt(attempt);
      this.health.forget();
      for (const reject of fx.rejections) reject(error);
      this.options.logger.error('store commit failed', { error, writes: batch.jobs.length });
      this.dirty = this.units.length > 0 || this.outcomes.length > 0;
      await this.arm(now);
      return;
    }

    const deltas = tick.deltas();
    this.readyDepth += deltas.ready;
    this.waitingDepth += deltas.waiting;
    this.updateCongestion();
    for (const record of tick.written()) {
      const attempt = this.attempts.get(record.id);
      if (attempt !== undefined && record.state === JobState.running) attempt.record = record;
    }
    // The timer is set before anyone hears of this tick, so whoever sees a
    // delayed job's submit resolve also finds its alarm set.
    await this.arm(now);
    this.publish(fx);
    for (const settle of fx.settle) settle();
    for (const attempt of fx.claimed) this.begin(attempt);
  }

  /** Sets the one timer to the earliest due time: a job's, a renewal, a timeout. */
  private async arm(now: number): Promise<void> {
    if (this.status !== 'running' && this.status !== 'stopping') return;
    let wake = await this.store.nextDueAtMs();
    for (const attempt of this.attempts.values()) {
      const renewAt = attempt.record.dueAtMs === null ? null : attempt.record.dueAtMs - attempt.record.leaseMs / 2;
      if (renewAt !== null && (wake === null || renewAt < wake)) wake = renewAt;
      if (attempt.timeoutAtMs !== null && (wake === null || attempt.timeoutAtMs < wake)) wake = attempt.timeoutAtMs;
    }
    if (wake === null) return;
    if (wake <= now) {
      this.dirty = true;
      return;
    }
    if (this.timer !== null && this.timer.atMs <= wake) return;
    this.clearTimer();
    const fire = () => {
      this.timer = null;
      this.kick();
    };
    const handle = this.clock.setTimerAt !== undefined ? this.clock.setTimerAt(fire, wake) : this.clock.setTimer(fire, wake - now);
    this.timer = { handle, atMs: wake };
  }

  private clearTimer(): void {
    if (this.timer === null) return;
    this.clock.clearTimer(this.timer.handle);
    this.timer = null;
  }

  private publish(fx: Effects): void {
    const listening = this.emitter.hasListeners;
    for (const { record, from, cause } of fx.transitions) {
      if (isTerminal(record.state)) {
        const waiters = this.terminalWaiters.get(record.id);
        if (waiters !== undefined) {
          this.terminalWaiters.delete(record.id);
          for (const resolve of waiters) resolve(record);
        }
      }
      if (!listening) continue;
      this.emitter.emit({
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
    if (listening) for (const event of fx.events) this.emitter.emit(event);
  }

  private put(tick: Tick, fx: Effects, next: JobRecord, base: JobRecord | null, cause: Cause): void {
    tick.put(next, base);
    fx.transitions.push({ record: next, from: base?.state ?? null, cause });
  }

  // ---- admission -----------------------------------------------------------

  // ---- outcomes ------------------------------------------------------------

  private async settle(outcome: Outcome, tick: Tick, now: number, fx: Effects, beats: Map<string, { progress: Json | undefined }>): Promise<void> {
    const attempt = outcome.attempt;
    if (this.attempts.get(attempt.record.id) !== attempt) return; // cancelled or lost its lease meanwhile
    this.dropAttempt(attempt);
    let base = tick.peek(attempt.record.id) ?? attempt.record;
    // Progress reported just before the end is kept: it lands with the outcome.
    const beat = beats.get(base.id);
    if (beat?.progress !== undefined) {
      beats.delete(base.id);
      const before = base;
      base = update(base, now, { progress: beat.progress });
      tick.put(base, before);
      fx.events.push({
        name: EventName.progress,
        jobId: base.id,
        type: base.type,
        queue: base.queue,
        atMs: now,
        attempt: base.attempt,
        correlationId: correlationId(base),
        progress: beat.progress,
      });
    }
    this.metricsRecorder.run.record(now - attempt.startedAtMs);

    // Any answer means the network works; only network errors in a row mean it does not.
    if (base.network && (outcome.ok || outcome.failure.kind !== FailureKind.offline)) this.networkErrors = 0;
    if (outcome.ok) {
      if (base.resource !== null) await this.health.record(tick, base.resource, now, true, attempt.probe);
      const next = transition(base, JobState.succeeded, now, COMPLETED, terminalPatch(now, { result: outcome.result, error: null }));
      this.put(tick, fx, next, base, COMPLETED);
      this.metricsRecorder.finished(next.type, next.attempt, true);
      const released = await this.releaseDependents(next, tick, now, fx);
      if (!this.options.keepSucceeded && next.idempotencyKey === null && released === 0) tick.delete(next.id);
      return;
    }

    const fault = outcome.failure;
    if (fault.kind === FailureKind.offline) {
      // Not the server's fault and not the job's: give the attempt back; after a second error in a
      // row, hold all network work back.
      if (++this.networkErrors >= OFFLINE_AFTER_ERRORS) this.offlineUntilMs = Math.max(this.offlineUntilMs ?? 0, now + this.options.offlineRetryMs);
      this.park(base, tick, now, fx, base.attempt - 1, `network error: ${fault.message}`);
      return;
    }
    if (base.resource !== null) await this.health.record(tick, base.resource, now, fault.kind === FailureKind.permanent, attempt.probe);
    if (outcome.deadline || (base.deadlineAtMs !== null && now >= base.deadlineAtMs)) {
      await this.fail(
        base,
        tick,
        now,
        fx,
        { code: 'deadline-exceeded', message: `deadline ${base.deadlineAtMs} passed during attempt ${base.attempt}` },
        fault,
      );
      return;
    }
    if (fault.kind === FailureKind.timeout && base.retry.onTimeout === 'fail') {
      await this.fail(base, tick, now, fx, { code: fault.code ?? 'timeout', message: `timeout policy is fail: ${fault.message}` }, fault);
      return;
    }
    // Under congestion low-priority retries wait longer: up to 4× for background at full congestion.
    const congested = 1 + (this.congestion * 3 * (PRIORITY_LEVELS - 1 - base.priority)) / (PRIORITY_LEVELS - 1);
    const stretch = (base.resource === null ? 1 : await this.health.stretch(tick, base.resource, now)) * congested;
    const decision = this.options.retryPolicy.decide({ job: base, failure: fault, nowMs: now, random: this.random, stretch });
    if (!decision.retry) {
      await this.fail(base, tick, now, fx, { code: fault.code ?? fault.kind, message: `${decision.reason}: ${fault.message}` }, fault);
      return;
    }
    const runAtMs = now + decision.delayMs;
    if (base.deadlineAtMs !== null && runAtMs >= base.deadlineAtMs) {
      await this.fail(
        base,
        tick,
        now,
        fx,
        { code: 'deadline-exceeded', message: `the next attempt would start after the deadline ${base.deadlineAtMs}` },
        fault,
      );
      return;
    }
    const escalate = fault.kind === FailureKind.timeout && base.retry.onTimeout === 'escalate' && base.priority < PRIORITY_LEVELS - 1;
    const priority = escalate ? base.priority + 1 : base.priority;
    const cause: Cause = {
      code: 'retry',
      message: `retry in ${(decision.delayMs / 1000).toFixed(1)} s: ${decision.reason}${escalate ? `, escalated to priority ${priority}` : ''}: ${fault.message}`,
    };
    const patch = { error: fault, retryDelayMs: decision.delayMs, priority };
    const next =
      decision.delayMs <= 0
        ? transition(base, JobState.ready, now, cause, { ...readyPatch({ priority }, now, this.stepMs), ...patch })
        : transition(base, JobState.scheduled, now, cause, { rank: null, runAtMs, ...patch });
    this.put(tick, fx, next, base, cause);
  }

  private async fail(base: JobRecord, tick: Tick, now: number, fx: Effects, cause: Cause, fault: Failure | null): Promise<void> {
    const next = transition(
      base,
      JobState.failed,
      now,
      cause,
      terminalPatch(now, { error: fault ?? failure(FailureKind.permanent, cause.code, cause.message ?? cause.code) }),
    );
    this.put(tick, fx, next, base, cause);
    this.metricsRecorder.finished(next.type, next.attempt, false);
    await this.releaseDependents(next, tick, now, fx);
  }

  /**
   * A job reached a terminal state: its waiters may run now, or fail or be
   * cancelled by their policy, and so on down the graph. Returns how many
   * waiters it had.
   */
  private async releaseDependents(finished: JobRecord, tick: Tick, now: number, fx: Effects): Promise<number> {
    // No job waits on anything: spare the store a query per finished job.
    if (this.waitingDepth === 0 && !tick.hasLocalWaiters()) return 0;
    const done = [finished];
    let count = 0;
    while (done.length > 0) {
      const job = done.pop()!;
      const waiters = await tick.waitingOn(job.id);
      if (job === finished) count = waiters.length;
      for (const waiter of waiters) {
        const deps = waiter.dependsOn.length === 0 ? [] : await tick.getMany(waiter.dependsOn);
        const after = waiter.after === null ? undefined : await tick.get(waiter.after);
        const verdict = evaluateBlockers(waiter, deps, after);
        if (verdict.kind === 'blocked') continue;
        if (verdict.kind === 'clear') {
          const cause: Cause = { code: 'unblocked', message: `after ${job.id}` };
          this.put(tick, fx, release(waiter, now, this.stepMs, cause), waiter, cause);
          continue;
        }
        const next = transition(
          waiter,
          verdict.to,
          now,
          verdict.cause,
          terminalPatch(now, verdict.to === JobState.failed ? { error: failure(FailureKind.permanent, verdict.cause.code, verdict.cause.message!) } : {}),
        );
        this.put(tick, fx, next, waiter, verdict.cause);
        if (next.state === JobState.failed) this.metricsRecorder.finished(next.type, next.attempt, false);
        done.push(next);
      }
    }
    return count;
  }

  private async applyOperation(op: Operation, tick: Tick, now: number, fx: Effects): Promise<void> {
    const base = await tick.get(op.id);
    if (base === undefined) {
      op.reject(new UnknownJobError(op.id));
      return;
    }
    if (op.kind === 'cancel') {
      if (isTerminal(base.state)) {
        op.reject(new IllegalTransitionError(base.id, base.state, JobState.cancelled));
        return;
      }
      const attempt = this.attempts.get(base.id);
      if (attempt !== undefined) this.abandon(attempt, cancelledReason(base.id));
      const cause: Cause = { code: 'cancelled', message: 'cancelled by request' };
      const next = transition(base, JobState.cancelled, now, cause, terminalPatch(now));
      this.put(tick, fx, next, base, cause);
      await this.releaseDependents(next, tick, now, fx);
      fx.settle.push(() => op.resolve(next));
    } else {
      if (base.state !== JobState.failed) {
        op.reject(new IllegalTransitionError(base.id, base.state, JobState.ready));
        return;
      }
      const cause: Cause = { code: 'manual-retry', message: 'retried from the dead-letter set' };
      const next = transition(base, JobState.ready, now, cause, { ...readyPatch(base, now, this.stepMs), attempt: 0, finishedAtMs: null });
      this.put(tick, fx, next, base, cause);
      fx.settle.push(() => op.resolve(next));
    }
    fx.rejections.push(op.reject);
  }

  // ---- timers --------------------------------------------------------------

  /**
   * Jobs whose timer is due: deadlines pass, scheduled jobs become ready,
   * expired leases are recovered.
   */
  private async promote(tick: Tick, now: number, fx: Effects): Promise<void> {
    for (const base of await tick.due(now, this.options.maxBatch)) {
      if (base.state === JobState.running) {
        await this.recoverLease(base, tick, now, fx);
      } else if (base.deadlineAtMs !== null && now >= base.deadlineAtMs) {
        await this.fail(base, tick, now, fx, this.missedDeadline(base), null);
      } else if (base.state === JobState.scheduled && base.runAtMs !== null && base.runAtMs <= now) {
        const cause: Cause = { code: 'due' };
        this.put(tick, fx, transition(base, JobState.ready, now, cause, readyPatch(base, base.runAtMs, this.stepMs)), base, cause);
      }
    }
  }

  private async recoverLease(base: JobRecord, tick: Tick, now: number, fx: Effects): Promise<void> {
    if (this.attempts.has(base.id)) {
      // Our own attempt, renewed late (the process slept): keep the lease.
      tick.put(update(base, now, { dueAtMs: now + base.leaseMs }), base);
      return;
    }
    const cause: Cause = { code: 'lease-expired', message: `lease expired at ${base.dueAtMs} during attempt ${base.attempt}` };
    this.metricsRecorder.stalled++;
    fx.events.push({
      name: EventName.stalled,
      jobId: base.id,
      type: base.type,
      queue: base.queue,
      atMs: now,
      attempt: base.attempt,
      correlationId: correlationId(base),
      cause,
    });
    const fault = failure(FailureKind.transient, 'lease-expired', cause.message!);
    if (base.attempt >= base.retry.maxAttempts) {
      await this.fail(base, tick, now, fx, cause, fault);
    } else {
      this.put(tick, fx, transition(base, JobState.ready, now, cause, { ...readyPatch(base, now, this.stepMs), error: fault }), base, cause);
    }
  }

  /** Back online: parked jobs become ready now rather than at their next try. */
  private async releaseParked(tick: Tick, now: number, fx: Effects): Promise<void> {
    this.resumeParked = false;
    const ids = [...this.parked];
    this.parked.clear();
    const cause: Cause = { code: 'online', message: 'back online' };
    for (const base of await tick.getMany(ids)) {
      if (base?.state !== JobState.scheduled) continue;
      this.put(tick, fx, transition(base, JobState.ready, now, cause, readyPatch(base, now, this.stepMs)), base, cause);
    }
  }

  /** Parks a job for being offline: back to `scheduled`, tried again after `offlineRetryMs`, no attempt spent. */
  private park(base: JobRecord, tick: Tick, now: number, fx: Effects, attempt: number, why: string): void {
    const cause: Cause = { code: 'offline', message: `parked: ${why}` };
    this.put(tick, fx, transition(base, JobState.scheduled, now, cause, { rank: null, runAtMs: now + this.options.offlineRetryMs, attempt }), base, cause);
    this.parked.add(base.id);
  }

  /** Congestion from the ready depth: 0 up to `readyDepth`, 1 from twice that; the aging step grows with it. */
  private updateCongestion(): void {
    const { readyDepth: threshold, creditMultiplier } = this.options.congestion;
    this.congestion = Math.min(1, Math.max(0, ((this.readyDepth ?? 0) - threshold) / threshold));
    this.stepMs = this.options.agingStepMs * (1 + this.congestion * (creditMultiplier - 1));
  }

  /** Why a job that never started failed at its deadline: shed, when background work meets congestion. */
  private missedDeadline(job: JobRecord): Cause {
    return this.congestion > 0 && job.priority === 0
      ? { code: 'shed', message: `shed under congestion (${this.readyDepth} ready): deadline ${job.deadlineAtMs} passed before the job could start` }
      : { code: 'deadline-exceeded', message: `deadline ${job.deadlineAtMs} passed before the job could start` };
  }

  /**
   * Critical work waits and every slot of its queue is taken: abort one
   * running preemptible job of lower priority and requeue it, giving back its
   * attempt. Returns whether a slot was freed.
   */
  private async preempt(queue: string, tick: Tick, now: number, fx: Effects): Promise<boolean> {
    const [waiting] = await tick.claimable(queue, 1);
    if (waiting === undefined || waiting.priority < PRIORITY_LEVELS - 1) return false;
    let victim: Attempt | undefined;
    for (const attempt of this.attempts.values()) {
      const r = attempt.record;
      if (r.queue !== queue || !r.preemptible || attempt.settled || r.priority >= waiting.priority) continue;
      if (victim === undefined || r.priority < victim.record.priority) victim = attempt;
    }
    if (victim === undefined) return false;
    const base = tick.peek(victim.record.id) ?? victim.record;
    this.abandon(victim, Object.assign(new Error(`preempted by critical job ${waiting.id}`), { name: 'AbortError', code: 'preempted' }));
    const cause: Cause = { code: 'preempted', message: `preempted by critical job ${waiting.id}; the attempt is not counted` };
    this.put(tick, fx, transition(base, JobState.ready, now, cause, { ...readyPatch(base, now, this.stepMs), attempt: base.attempt - 1 }), base, cause);
    return true;
  }

  private async claim(tick: Tick, now: number, fx: Effects): Promise<void> {
    for (const [queue, { concurrency }] of this.options.queues) {
      let free = concurrency - this.running.get(queue)!;
      if (free === 0 && (await this.preempt(queue, tick, now, fx))) free = 1;
      while (free > 0) {
        const want = Math.min(free, this.options.maxBatch);
        const candidates = await tick.claimable(queue, want);
        for (const base of candidates) {
          if (base.deadlineAtMs !== null && now >= base.deadlineAtMs) {
            await this.fail(base, tick, now, fx, this.missedDeadline(base), null);
            continue;
          }
          if (base.network && !this.isOnline()) {
            this.park(base, tick, now, fx, base.attempt, 'offline');
            continue;
          }
          let probe = false;
          if (base.resource !== null) {
            const decision = await this.health.admit(tick, base.resource, now, base.attempt > 0, this.random);
            if (!decision.allow) {
              // Deferred, not failed: no attempt is spent. Wake-ups are spread over as long again as the
              // wait (at least 100 ms), so the deferred do not come back as one herd.
              const spread = Math.round(this.random.next() * Math.max(100, decision.retryAtMs - now));
              const cause: Cause = { code: 'deferred', message: `deferred: ${decision.reason}` };
              this.put(tick, fx, transition(base, JobState.scheduled, now, cause, { rank: null, runAtMs: decision.retryAtMs + spread }), base, cause);
              continue;
            }
            probe = decision.probe;
          }
          const next = transition(base, JobState.running, now, CLAIMED, {
            attempt: base.attempt + 1,
            startedAtMs: now,
            rank: null,
            dueAtMs: now + base.leaseMs,
          });
          this.put(tick, fx, next, base, CLAIMED);
          this.metricsRecorder.wait.record(now - base.readyAtMs!);
          const dependencies = next.dependsOn.length === 0 ? NO_DEPENDENCIES : dependencyResults(await tick.getMany(next.dependsOn), next.dependsOn);
          const attempt = new Attempt(this.host, next, now, dependencies);
          attempt.probe = probe;
          this.attempts.set(next.id, attempt);
          this.running.set(queue, this.running.get(queue)! + 1);
          fx.claimed.push(attempt);
          free--;
        }
        if (candidates.length < want) break;
      }
    }
  }

  /** Attempts past their timeout are aborted and settle as failures now. */
  private expireAttempts(now: number): void {
    for (const attempt of this.attempts.values()) {
      if (attempt.settled || attempt.timeoutAtMs === null || now < attempt.timeoutAtMs) continue;
      const message = attempt.timeoutIsDeadline
        ? `deadline ${attempt.record.deadlineAtMs} reached during attempt ${attempt.record.attempt}`
        : `attempt ${attempt.record.attempt} timed out after ${attempt.record.timeoutMs} ms`;
      const reason = failure(FailureKind.timeout, attempt.timeoutIsDeadline ? 'deadline-exceeded' : 'timeout', message);
      attempt.abort(Object.assign(new Error(message), { name: 'TimeoutError', code: reason.code }));
      attempt.settled = true;
      this.outcomes.push({ attempt, ok: false, failure: reason, deadline: attempt.timeoutIsDeadline });
    }
  }

  /** Persists progress and renews the leases of live attempts before they lapse. */
  private renew(beats: Map<string, { progress: Json | undefined }>, tick: Tick, now: number, fx: Effects): void {
    for (const [id, beat] of beats) {
      const attempt = this.attempts.get(id);
      if (attempt === undefined || beat.progress === undefined) continue;
      const base = tick.peek(id) ?? attempt.record;
      tick.put(update(base, now, { progress: beat.progress, dueAtMs: now + base.leaseMs }), base);
      fx.events.push({
        name: EventName.progress,
        jobId: id,
        type: base.type,
        queue: base.queue,
        atMs: now,
        attempt: base.attempt,
        correlationId: correlationId(base),
        progress: beat.progress,
      });
    }
    for (const [id, attempt] of this.attempts) {
      const base = tick.peek(id) ?? attempt.record;
      if (base.state !== JobState.running || base.dueAtMs === null || base.dueAtMs - now > base.leaseMs / 2) continue;
      tick.put(update(base, now, { dueAtMs: now + base.leaseMs }), base);
    }
  }

  // ---- handlers ------------------------------------------------------------

  private begin(attempt: Attempt): void {
    const record = attempt.record;
    const handler = this.handlers[record.type];
    let result: Promise<unknown>;
    try {
      if (handler === undefined) throw new ValidationError('type', `No handler registered for job type ${JSON.stringify(record.type)}`);
      result = Promise.resolve(handler(record.payload, attempt));
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (value) => this.finish(attempt, value, undefined, true),
      (error: unknown) => this.finish(attempt, undefined, error, false),
    );
  }

  private finish(attempt: Attempt, value: unknown, error: unknown, ok: boolean): void {
    if (attempt.settled) return;
    attempt.settled = true;
    if (ok) {
      const result = value === undefined ? null : value;
      try {
        assertJson(result, 'result');
        this.outcomes.push({ attempt, ok: true, result });
      } catch (invalid) {
        this.outcomes.push({ attempt, ok: false, failure: failure(FailureKind.permanent, 'invalid-result', (invalid as Error).message), deadline: false });
      }
    } else {
      this.outcomes.push({ attempt, ok: false, failure: classify(error, this.clock.now(), this.options.classify), deadline: false });
    }
    this.kick();
  }

  /** Stops an attempt without an outcome: its late result is ignored. */
  private abandon(attempt: Attempt, reason: Error): void {
    attempt.settled = true;
    attempt.abort(reason);
    this.dropAttempt(attempt);
  }

  private dropAttempt(attempt: Attempt): void {
    if (this.attempts.get(attempt.record.id) !== attempt) return;
    this.attempts.delete(attempt.record.id);
    this.running.set(attempt.record.queue, this.running.get(attempt.record.queue)! - 1);
    if (this.idleWaiters.length > 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

function cancelledReason(id: string): Error {
  return Object.assign(new Error(`job ${id} was cancelled`), { name: 'AbortError', code: 'cancelled' });
}

function dependencyResults(records: ReadonlyArray<JobRecord | undefined>, ids: readonly string[]): DependencyResult[] {
  return ids.map((id, i) => {
    const r = records[i];
    return r === undefined
      ? { id, type: '', state: JobState.failed, result: null, error: failure(FailureKind.permanent, 'dependency-missing', `dependency ${id} no longer exists`) }
      : { id, type: r.type, state: r.state, result: r.result, error: r.error };
  });
}

/**
 * Creates a scheduler, started unless `autoStart` is `false`. The core takes
 * its store, clock and randomness as arguments; `@baton/core/system` has a
 * `createScheduler` that fills in the host's.
 *
 * @example
 * const scheduler = createScheduler({
 *   store: new MemoryStore(),
 *   clock, random,
 *   handlers: { greet: async (payload: { name: string }) => `hello ${payload.name}` },
 * });
 * const { job } = await scheduler.submit({ type: 'greet', payload: { name: 'Ada' } });
 */
export function createScheduler<H extends Handlers>(options: SchedulerOptions<H>): Scheduler<H> {
  return new Scheduler(options);
}
