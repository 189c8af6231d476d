import { admitUnit, prepareUnit } from './admission.ts';
import { storeCompensations } from './store-compensations.ts';
import { readSchedules, ScheduleBook, type ScheduleChange, SCHEDULES_META } from './schedule-book.ts';
import type { Schedule, ScheduleInput } from './schedules.ts';
import { Backpressure, NO_BACKPRESSURE } from './backpressure.ts';
import { type Replacement, replaceDebounced } from './dedupe.ts';
import type { JobOf, RequestOptions, SchedulerApi, SubmitInput, SubmitInputOf, SubmitResult, TypeOf } from './api.ts';
import { attemptHost, HandlerReads } from './attempt-host.ts';
import { Claimer } from './claim.ts';
import type { Clock } from './clock.ts';
import { Congestion } from './congestion.ts';
import { Connectivity } from './connectivity.ts';
import { Dependents } from './dependents.ts';
import { releaseKeys } from './release-key.ts';
import { CancelledError, StoppedError, UnknownJobError, ValidationError } from './errors.ts';
import type { SubmittedJob } from './instrumentation.ts';
import { Emitter, type EventName, type EventOf, type Listener, type SchedulerEvent } from './events.ts';
import { ResourceHealth } from './health.ts';
import { createIdGenerator } from './ids.ts';
import type { JobInput, JobRecord, Json } from './job.ts';
import { assertJson } from './json.ts';
import { text } from './validate.ts';
import { Leases } from './leases.ts';
import { MetricsRecorder, type MetricsSnapshot } from './metrics.ts';
import { type Operation, Operations } from './operations.ts';
import { type Carried, Inbox, refuse, type StepWrite } from './inbox.ts';
import { type Handlers, type ResolvedOptions, resolveOptions, type SchedulerOptions } from './options.ts';
import type { Random } from './random.ts';
import { promote } from './promote.ts';
import { Retention } from './retention.ts';
import { runHandler } from './run-handler.ts';
import { Settler } from './settle.ts';
import { isEmptyBatch, type ListPage, type ListQuery, type StepRecord, type Store } from './store.ts';
import { TickContext } from './tick-context.ts';
import { Waiters } from './waiters.ts';
import { WakeTimer } from './wake-timer.ts';

export interface StopOptions {
  /** Abort running handlers instead of waiting for them; their jobs are recovered after their lease. @default false */
  readonly abort?: boolean;
}

/**
 * The scheduler. Every change happens in a tick: take what arrived
 * (submits, handler outcomes, cancels, steps, heartbeats), promote due
 * timers, claim ready work into free slots, and commit it all as one store
 * batch. Only after the commit are events emitted, promises settled and
 * handlers started, so nothing is observed that the store has not kept.
 *
 * The parts each own one concern: `Leases` (attempts, renewal, timeouts,
 * recovery), `Claimer` (filling slots), `Dependents` (what a finished job
 * releases), `Operations` (cancel, retry), `Connectivity` (offline
 * parking), `Congestion` (depth and its effects), `WakeTimer` (the one
 * host timer), `decideFailure` (what a failed attempt leads to).
 */
export class Scheduler<H extends Handlers = Handlers> implements SchedulerApi<H> {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly handlers: H;
  private readonly options: ResolvedOptions;
  private readonly nextId: (nowMs: number) => string;
  private readonly emitter: Emitter;
  private readonly metricsRecorder = new MetricsRecorder();
  private readonly health: ResourceHealth;
  private readonly congestion: Congestion;
  private readonly connectivity: Connectivity;
  private readonly leases: Leases;
  private readonly dependents: Dependents;
  private readonly claimer: Claimer;
  private readonly retention: Retention;
  /** `null` when no backpressure limit is set. */
  private readonly backpressure: Backpressure | null;
  private readonly settler: Settler;
  private readonly ops: Operations;
  private readonly scheduleBook: ScheduleBook;
  private readonly waiters = new Waiters();
  private readonly wake: WakeTimer;

  private status: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private pumping: Promise<void> | null = null;
  private dirty = false;
  private readonly idleWaiters: Array<() => void> = [];
  /** Store reads handlers wait on (their steps, the jobs they join). */
  private readonly handlerReads = new HandlerReads();

  // What arrived since the last tick.
  private readonly inbox = new Inbox();

  constructor(options: SchedulerOptions<H>) {
    this.options = resolveOptions(options);
    this.store = options.store;
    this.clock = options.clock;
    this.random = options.random;
    this.handlers = options.handlers;
    this.nextId = createIdGenerator(options.random);
    this.emitter = new Emitter((error, event) => this.options.logger.error('event listener threw', { error, event: event.name, jobId: event.jobId }));
    this.health = new ResourceHealth(this.options);
    this.congestion = new Congestion(this.options);
    this.backpressure = this.options.backpressure === null ? null : new Backpressure(this.options.backpressure);
    this.connectivity = new Connectivity(this.options.offlineRetryMs);
    this.leases = new Leases(this.options.queues.keys(), () => {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
    this.dependents = new Dependents(this.congestion, this.metricsRecorder);
    this.scheduleBook = new ScheduleBook(this.handlers, this.options, this.nextId);
    this.ops = new Operations(this.leases, this.dependents, this.scheduleBook);
    this.dependents.onUndone = (ctx, job) => storeCompensations(ctx, job, { handlers: this.handlers, options: this.options, nextId: this.nextId });
    this.wake = new WakeTimer(this.clock, () => this.kick());
    const host = attemptHost({
      clock: this.clock,
      store: this.store,
      inbox: this.inbox,
      handlers: this.handlers,
      instrumentation: this.options.instrumentation,
      kick: () => this.kick(),
      submitAll: async (inputs) => (await this.submitAll(inputs as ReadonlyArray<SubmitInput<H>>)).map((r) => r.job as JobRecord),
      reads: this.handlerReads,
    });
    const parts = {
      options: this.options,
      leases: this.leases,
      connectivity: this.connectivity,
      health: this.health,
      congestion: this.congestion,
      dependents: this.dependents,
      metrics: this.metricsRecorder,
      random: this.random,
    };
    this.claimer = new Claimer({ ...parts, host });
    this.retention = new Retention(this.options.retention);
    this.settler = new Settler(parts);
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
    this.scheduleBook.startedAtMs = this.clock.now();
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
    const abandon = (): void => {
      if (options.abort === true) for (const attempt of [...this.leases.all()]) this.leases.abandon(attempt, new StoppedError());
    };
    abandon();
    while (this.leases.size > 0 || this.pumping !== null || this.pendingWork()) {
      if (this.pumping !== null) await this.pumping;
      else if (this.pendingWork()) await this.pump();
      else await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      // A tick in flight when `stop` was called may have started handlers since: they are given up too.
      abandon();
    }
    this.status = 'stopped';
    this.wake.clear();
    const stopped = new StoppedError();
    this.inbox.refuseAll(stopped);
  }

  /**
   * Submits one job. Resolves once the job is stored; rejects with a
   * `ValidationError` (bad input), `IdempotencyConflictError` or
   * `DependencyCycleError`, having stored nothing.
   *
   * @example
   * const { job } = await scheduler.submit({ type: 'resize', payload: { url }, priority: Priority.high });
   */
  submit<T extends TypeOf<H>>(input: SubmitInputOf<H, T>, options?: RequestOptions): Promise<SubmitResult<H, T>> {
    return this.submitAll([input as unknown as SubmitInput<H>], options).then((results) => results[0] as unknown as SubmitResult<H, T>);
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
  submitAll(inputs: ReadonlyArray<SubmitInput<H>>, options: RequestOptions = {}): Promise<Array<SubmitResult<H>>> {
    const admit = (): Promise<Array<SubmitResult<H>>> => {
      try {
        if (this.status === 'stopping' || this.status === 'stopped') throw new StoppedError();
        const unit = prepareUnit(inputs as ReadonlyArray<JobInput<string, unknown>>, this.handlers, this.options, this.clock.now(), this.nextId);
        return new Promise<Array<SubmitResult<H>>>((resolve, reject) => {
          this.inbox.units.push({ ...unit, actor: options.actor ?? null, resolve: resolve as (results: SubmitResult[]) => void, reject });
          this.kick();
        });
      } catch (error) {
        return Promise.reject(error);
      }
    };
    const instrumentation = this.options.instrumentation;
    return instrumentation?.submit === undefined ? admit() : instrumentation.submit(inputs as ReadonlyArray<SubmittedJob>, admit);
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
    this.connectivity.set(online);
    this.kick();
  }

  /** Whether jobs that need the network may start now. */
  isOnline(): boolean {
    return this.connectivity.isOnline(this.clock.now());
  }

  /** Cancels a job that has not finished; a running handler's signal is aborted. */
  cancel(id: string, options: RequestOptions = {}): Promise<JobOf<H>> {
    return this.operate('cancel', id, options) as Promise<JobOf<H>>;
  }

  /** Sends a failed job (from the dead-letter set) back to run, with a fresh attempt count. */
  retry(id: string, options: RequestOptions = {}): Promise<JobOf<H>> {
    return this.operate('retry', id, options) as Promise<JobOf<H>>;
  }

  /**
   * Sends signal `name` to a job: a handler waiting for it
   * (`ctx.waitForSignal`) wakes with `payload`; one that waits later gets
   * it at once. The first signal of a name is kept. Resolves with the job;
   * refused for a job that has finished.
   */
  signal(id: string, name: string, payload: Json = null, options: RequestOptions = {}): Promise<JobOf<H>> {
    try {
      text('name', name);
      assertJson(payload, 'payload');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.operate('signal', id, options, { name, payload }) as Promise<JobOf<H>>;
  }

  /**
   * Makes or changes a schedule: each occurrence (a `cron` expression in a
   * time zone, or `everyMs`) submits `job`. Durable; the next occurrence is
   * part of the scheduler's one timer (at the edge, the object's alarm).
   * Missed occurrences (no scheduler ran) follow `missed`; one that comes
   * while the last has not finished follows `overlap`. Changing a schedule
   * leaves a running occurrence be; the next follows the new definition.
   *
   * @example
   * await scheduler.schedule({ id: 'nightly-report', cron: '0 0 3 * * *', timezone: 'Europe/Paris', job: { type: 'report' } });
   */
  schedule(input: ScheduleInput, options: RequestOptions = {}): Promise<Schedule> {
    return this.changeSchedule({ action: 'put', input }, input?.id, options);
  }

  pauseSchedule(id: string, options: RequestOptions = {}): Promise<Schedule> {
    return this.changeSchedule({ action: 'pause', id }, id, options);
  }

  resumeSchedule(id: string, options: RequestOptions = {}): Promise<Schedule> {
    return this.changeSchedule({ action: 'resume', id }, id, options);
  }

  /** Deletes a schedule; resolves with it as it was. Jobs it submitted are not touched. */
  unschedule(id: string, options: RequestOptions = {}): Promise<Schedule> {
    return this.changeSchedule({ action: 'delete', id }, id, options);
  }

  /** The schedules, as stored. */
  async schedules(): Promise<Schedule[]> {
    return readSchedules(await this.store.getMeta(SCHEDULES_META));
  }

  private changeSchedule(change: ScheduleChange, id: unknown, options: RequestOptions): Promise<Schedule> {
    return this.operate('schedule', typeof id === 'string' ? id : '', options, undefined, change) as unknown as Promise<Schedule>;
  }

  get(id: string): Promise<JobOf<H> | undefined> {
    return this.store.get(id) as Promise<JobOf<H> | undefined>;
  }

  list(query: ListQuery = {}): Promise<ListPage<JobOf<H>>> {
    return this.store.list(query) as Promise<ListPage<JobOf<H>>>;
  }

  /** The durable steps a job has recorded (`ctx.step`), oldest first; rejects with `unknown-job` for no such job. */
  async steps(id: string): Promise<readonly StepRecord[]> {
    const steps = await this.store.steps(id);
    if (steps.length === 0 && (await this.store.get(id)) === undefined) throw new UnknownJobError(id);
    return [...steps].sort((a, b) => a.atMs - b.atMs || (a.name < b.name ? -1 : 1));
  }

  /**
   * Resolves with the job once it is succeeded, failed or cancelled. Given
   * the job `submit` returned, its result is typed by its handler.
   *
   * @example
   * const { job } = await scheduler.submit({ type: 'resize', payload: { url, width: 320 } });
   * const done = await scheduler.waitFor(job); // done.result is what `resize` returns
   */
  waitFor<T extends TypeOf<H>>(job: string | { readonly id: string; readonly type: T }): Promise<JobOf<H, T>> {
    return this.waiters.wait(this.store, typeof job === 'string' ? job : job.id) as Promise<JobOf<H, T>>;
  }

  /** Subscribes to one event, or to all with `'*'`. Returns the unsubscribe function. */
  on<N extends EventName>(name: N, listener: Listener<EventOf<N>>): () => void;
  on(name: '*', listener: Listener<SchedulerEvent>): () => void;
  on(name: EventName | '*', listener: Listener<never>): () => void {
    return this.emitter.on(name, listener as Listener<SchedulerEvent>);
  }

  async metrics(): Promise<MetricsSnapshot> {
    const now = this.clock.now();
    return {
      ...this.metricsRecorder.snapshot(now, await this.store.counts(), this.leases.silent(now, this.options.silentAfterMs)),
      resources: this.health.snapshot(now),
      congestion: this.congestion.snapshot(),
      backpressure: (this.backpressure ?? NO_BACKPRESSURE).snapshot(this.congestion.unfinished),
      deleted: this.retention.deleted,
    };
  }

  /**
   * Whether nothing is in progress or pending for the scheduler itself: no
   * tick running or due, no step results being read for a handler. Handlers
   * may still be running (waiting on their own I/O or timers).
   */
  isIdle(): boolean {
    return this.pumping === null && !this.pendingWork() && this.handlerReads.pending === 0;
  }

  /** Resolves when no tick is in progress or pending. Handlers may still be running. */
  async whenIdle(): Promise<void> {
    while (this.pumping !== null) await this.pumping;
  }

  private operate(kind: Operation['kind'], id: string, options: RequestOptions, signal?: Operation['signal'], schedule?: ScheduleChange): Promise<JobRecord> {
    if (this.status === 'stopping' || this.status === 'stopped') return Promise.reject(new StoppedError());
    // A schedule change checks its own id.
    if (kind !== 'schedule' && (typeof id !== 'string' || id.length === 0)) {
      return Promise.reject(new ValidationError('id', `Expected \`id\` to be a job id, got ${String(id)}`));
    }
    return new Promise((resolve, reject) => {
      this.inbox.operations.push({
        kind,
        id,
        actor: options.actor ?? null,
        resolve,
        reject,
        ...(signal === undefined ? {} : { signal }),
        ...(schedule === undefined ? {} : { schedule }),
      });
      this.kick();
    });
  }

  // ---- the loop ------------------------------------------------------------

  private pendingWork(): boolean {
    return this.dirty || this.inbox.pending;
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
    const ctx = new TickContext(this.store, this.clock.now());
    let carried: Carried | null = null;
    try {
      // The first await comes before the inbox is taken: calls made together land in one tick.
      await this.congestion.load(this.store);
      await this.backpressure?.load(this.store);
      await this.scheduleBook.load(ctx.tick);
      carried = this.inbox.take();
      const { units, operations, stepWrites, beats } = carried;
      const room = this.backpressure?.room(this.congestion.unfinished) ?? null;
      const replaced: Replacement[] = [];
      for (const unit of units) await admitUnit(unit, ctx.tick, ctx.now, ctx.fx, room, replaced);
      await replaceDebounced(ctx, this.dependents, replaced);
      // Step results first, while their attempts still hold their jobs: one settled in this tick keeps its result.
      for (const step of stepWrites) this.writeStep(ctx, step);
      await releaseKeys(ctx, carried.keyReleases, (a) => this.leases.holds(a), this.dependents);
      const outcomes = this.inbox.takeOutcomes(carried, this.leases.expire(ctx.now));
      // Settling drops an attempt's lease before it reads the store: a failed read gives them back.
      for (const outcome of outcomes) if (this.leases.holds(outcome.attempt)) carried.held.push(outcome.attempt);
      for (const outcome of outcomes) await this.settler.settle(ctx, outcome, beats);
      for (const op of operations) await this.ops.apply(ctx, op);
      this.leases.renew(ctx, beats);
      await this.connectivity.releaseParked(ctx);
      if (this.status === 'running') {
        await this.scheduleBook.fire(ctx);
        await promote(ctx, {
          leases: this.leases,
          congestion: this.congestion,
          dependents: this.dependents,
          metrics: this.metricsRecorder,
          maxBatch: this.options.maxBatch,
        });
        await this.claimer.claim(ctx);
        // A backlog of expired jobs is deleted a batch per tick, the ticks following one another.
        if (this.retention.due(ctx.now) && (await this.retention.sweep(ctx, this.store))) this.dirty = true;
      }
      this.health.flush(ctx.tick);
    } catch (error) {
      this.recover(ctx, carried ?? this.inbox.take(), error);
      return;
    }
    await this.commit(ctx);
  }

  /**
   * A read of the store failed mid-tick (an aborted IndexedDB transaction,
   * a closed connection): nothing of the tick is written (while stopping,
   * what is left is given up). What it carried is
   * not dropped: step results, outcomes and heartbeats go back for the next
   * tick (a handler waits on its step; an outcome decides a job); submits
   * and operations are answered with the error (nothing was stored: the
   * caller may try again). The next tick comes after a pause, not at once,
   * so a store that keeps failing does not spin.
   */
  private recover(ctx: TickContext, carried: Carried, error: unknown): void {
    for (const attempt of ctx.fx.claimed) this.leases.drop(attempt);
    this.health.forget();
    this.claimer.forget();
    this.scheduleBook.forget();
    if (this.status === 'stopping') {
      // Stopping on a store that fails: give up what is left rather than try for ever. The jobs stay
      // running in the store, and the next scheduler recovers them once their leases lapse.
      for (const attempt of [...this.leases.all()]) this.leases.drop(attempt);
      refuse(carried, error, true);
      this.options.logger.error('scheduler tick failed while stopping: what was left is given up', { error });
      return;
    }
    for (const attempt of carried.held) if (!this.leases.holds(attempt)) this.leases.add(attempt);
    this.inbox.giveBack(carried, error);
    this.options.logger.error('scheduler tick failed', { error });
    if (this.wake.arm(ctx.now + READ_RETRY_MS, ctx.now)) this.dirty = true;
  }

  /** A step result, stored only while its attempt holds the job: a given-up attempt's late result is refused. */
  private writeStep(ctx: TickContext, step: StepWrite): void {
    const { attempt } = step;
    if (!this.leases.holds(attempt)) {
      step.reject(
        new CancelledError(
          `attempt ${attempt.record.attempt} of job ${attempt.record.id} no longer holds the job: step ${JSON.stringify(step.name)} is not stored`,
        ),
      );
      return;
    }
    ctx.tick.putStep({ jobId: attempt.record.id, name: step.name, result: step.result, attempt: attempt.record.attempt, atMs: ctx.now });
    ctx.fx.settle.push(step.resolve);
    ctx.fx.rejections.push(step.reject);
  }

  /** Commits the tick's batch; then, and only then, arms the timer, publishes, settles and starts handlers. */
  private async commit(ctx: TickContext): Promise<void> {
    const batch = ctx.tick.batch();
    try {
      if (!isEmptyBatch(batch)) await this.store.commit(batch);
    } catch (error) {
      // Nothing of this tick was kept: claimed handlers never start, and
      // settled attempts stay `running` in the store until their lease
      // expires and they are recovered.
      for (const attempt of ctx.fx.claimed) this.leases.drop(attempt);
      this.health.forget();
      this.claimer.forget();
      this.scheduleBook.forget();
      for (const reject of ctx.fx.rejections) reject(error);
      this.options.logger.error('store commit failed', { error, writes: batch.jobs.length });
      this.dirty = this.inbox.units.length > 0 || this.inbox.outcomes.length > 0;
      await this.arm(ctx.now);
      return;
    }
    this.congestion.apply(ctx.tick.deltas());
    this.backpressure?.committed(ctx.tick.unfinishedChanges());
    this.metricsRecorder.transitions(ctx.fx.transitions);
    this.leases.refresh(ctx.tick.written());
    this.retention.noteWritten(ctx.tick.written(), (id) => ctx.tick.isDeleted(id));
    this.claimer.committed(ctx.tick.written());
    // The timer is set before anyone hears of this tick, so whoever sees a
    // delayed job's submit resolve also finds its alarm set.
    await this.arm(ctx.now);
    ctx.fx.publish(this.emitter, this.waiters, this.options.instrumentation, this.options.logger);
    for (const settle of ctx.fx.settle) settle();
    for (const attempt of ctx.fx.claimed) {
      attempt.span = this.options.instrumentation?.attempt?.(attempt.record) ?? null;
      runHandler(
        this.handlers[attempt.record.type],
        attempt,
        () => this.clock.now(),
        this.options.classify,
        (outcome) => {
          this.inbox.outcomes.push(outcome);
          this.kick();
        },
      );
    }
  }

  /** Sets the one timer to the earliest due time: a job's, a renewal, a timeout. */
  /**
   * Sets the one timer for the next due job or lease. A failed read of the
   * store must not undo a committed tick (its handlers still start, its
   * answers still go out): the timer is set to try again shortly instead.
   */
  private async arm(now: number): Promise<void> {
    if (this.status !== 'running' && this.status !== 'stopping') return;
    let wake: number | null;
    try {
      wake = await this.store.nextDueAtMs();
    } catch (error) {
      this.options.logger.error('reading the next due time failed', { error });
      wake = now + READ_RETRY_MS;
    }
    const lease = this.leases.nextWakeMs();
    if (lease !== null && (wake === null || lease < wake)) wake = lease;
    const occurrence = this.scheduleBook.nextAtMs();
    if (occurrence !== null && (wake === null || occurrence < wake)) wake = occurrence;
    const sweep = this.retention.nextWakeMs();
    if (sweep !== null && (wake === null || sweep < wake)) wake = sweep;
    if (this.wake.arm(wake, now)) this.dirty = true;
  }
}

/** After a tick's read of the store failed: when the next tries. */
const READ_RETRY_MS = 250;

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
