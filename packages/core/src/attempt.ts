import { type DependencyResult, type JobContext, type StepInfo, type StepOptions, stepIdempotencyKey } from './context.ts';
import { CancelledError, ValidationError } from './errors.ts';
import { SignalTimeoutError, signalStep, WAIT_STEP } from './signals.ts';
import type { AttemptTrace } from './instrumentation.ts';
import { assertJson } from './json.ts';
import { LIMITS } from './limits.ts';
import { duration, number, text } from './validate.ts';
import { CauseCode } from './causes.ts';
import { compensationStep } from './compensation.ts';
import { failure } from './failure.ts';
import { FailureKind, isTerminal, type JobInput, JobState, type Json, type JobRecord, type TraceContext } from './job.ts';

/** The step names `ctx.sleep` stores its wake times under: `\u0000sleep:0`, `\u0000sleep:1`, … */
const SLEEP_STEP = '\u0000sleep:';

/**
 * What `ctx.sleep` throws once it has stored its wake time: the attempt ends
 * as a sleep. A handler need not catch it; one that does is still put to
 * sleep when it returns.
 */
export class SleepingSignal extends Error {
  readonly untilMs: number;
  constructor(untilMs: number) {
    super(
      Number.isFinite(untilMs)
        ? `sleeping until ${new Date(untilMs).toISOString()}: the job runs again then`
        : 'waiting for the jobs it joins: the job runs again once they have finished',
    );
    this.name = 'SleepingSignal';
    this.untilMs = untilMs;
  }
}

/** The step names `ctx.spawn` stores its children's ids under. */
const SPAWN_STEP = '\u0000spawn:';

/** What a dependent is told of a dependency (or a join, of a child); one deleted meanwhile reads as failed. */
export function dependencyResult(id: string, r: JobRecord | undefined): DependencyResult {
  return r === undefined
    ? {
        id,
        type: '',
        state: JobState.failed,
        result: null,
        error: failure(FailureKind.permanent, CauseCode.dependencyMissing, `dependency ${id} no longer exists`),
      }
    : { id, type: r.type, state: r.state, result: r.result, error: r.error };
}

/** What an attempt needs from the scheduler that runs it. */
export interface AttemptHost {
  now(): number;
  loadSteps(jobId: string): Promise<ReadonlyMap<string, Json>>;
  /** Stores a step result; resolves once committed, rejects if `attempt` no longer holds its job. */
  writeStep(attempt: Attempt, name: string, result: Json): Promise<void>;
  /** Releases the attempt's ordering key (`ctx.releaseKey`); resolves once committed, rejects if `attempt` no longer holds its job. */
  releaseKey(attempt: Attempt, through: string | null): Promise<void>;
  /** The jobs queued behind `jobId` in its key, nearest first, at most `limit` (`ctx.keySuccessors`). */
  keySuccessors(jobId: string, limit: number): Promise<readonly JobRecord[]>;
  recordProgress(jobId: string, value: Json): void;
  /** Submits jobs (a handler's children), as `submitAll` does; resolves with their records. */
  submitChildren(inputs: ReadonlyArray<JobInput<string, unknown>>): Promise<readonly JobRecord[]>;
  /** Whether a job type has a handler (a compensation must). */
  hasHandler(type: string): boolean;
  /** The records of jobs, for a join. */
  getJobs(ids: readonly string[]): Promise<ReadonlyArray<JobRecord | undefined>>;
  /** Around a step's function, when the scheduler has instrumentation. */
  instrumentStep?<T>(job: JobRecord, name: string, run: () => Promise<T>): Promise<T>;
}

/**
 * One attempt of one job, as the scheduler tracks it and as its handler sees
 * it: the attempt is the handler's `JobContext`.
 */
export class Attempt implements JobContext {
  /** The latest committed record of the job while this attempt holds it. */
  record: JobRecord;
  readonly startedAtMs: number;
  /** When the attempt times out: its own timeout or the job's deadline, whichever is first. */
  readonly timeoutAtMs: number | null;
  readonly timeoutIsDeadline: boolean;
  readonly dependencies: readonly DependencyResult[];
  lastBeatMs: number;
  /** An outcome was recorded, or the attempt was abandoned: later results are ignored. */
  settled = false;
  /** Let through a half-open breaker: its outcome decides the breaker. */
  probe = false;
  /** Its span, when the scheduler has instrumentation. */
  span: AttemptTrace | null = null;
  private readonly host: AttemptHost;
  /** Made on first use of `signal`: most handlers never look. */
  private controller: AbortController | null = null;
  private abortReason: unknown = undefined;
  private steps: ReadonlyMap<string, Json> | null = null;
  private readonly written = new Map<string, Json>();
  /** `ctx.sleep` calls so far in this attempt: the n-th is the same sleep in every attempt. */
  private sleeps = 0;
  /** Set once the handler asked to sleep: the attempt ends as a sleep until then. */
  sleepingUntil: number | null = null;
  /** `ctx.waitForSignal` calls so far in this attempt. */
  private waits = 0;
  /** The signal the attempt's sleep waits for, if it does. */
  waitingForSignal: string | null = null;
  /** Steps with a compensation so far in this attempt. */
  private compensable = 0;
  /** `ctx.spawn` calls so far in this attempt. */
  private spawns = 0;
  /** The jobs the attempt ended to wait for (`ctx.join`), if it did. */
  joining: readonly string[] | null = null;
  /** `ctx.releaseKey`, by `through` (`''` for none), once asked in this attempt: later calls wait for the same commit. */
  private readonly keyReleases = new Map<string, Promise<void>>();

  constructor(host: AttemptHost, record: JobRecord, nowMs: number, dependencies: readonly DependencyResult[]) {
    this.host = host;
    this.record = record;
    this.startedAtMs = nowMs;
    this.lastBeatMs = nowMs;
    this.dependencies = dependencies;
    const timeoutAt = record.timeoutMs === null ? null : nowMs + record.timeoutMs;
    this.timeoutIsDeadline = record.deadlineAtMs !== null && (timeoutAt === null || record.deadlineAtMs < timeoutAt);
    this.timeoutAtMs = this.timeoutIsDeadline ? record.deadlineAtMs : timeoutAt;
  }

  get job(): JobRecord {
    return this.record;
  }

  get trace(): TraceContext | null {
    return this.span?.context ?? this.record.trace;
  }

  get attempt(): number {
    return this.record.attempt;
  }

  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  progress(value: Json): void {
    assertJson(value, 'progress');
    this.lastBeatMs = this.host.now();
    this.host.recordProgress(this.record.id, value);
  }

  heartbeat(): void {
    this.lastBeatMs = this.host.now();
  }

  async step<T extends Json>(name: string, fn: (step: StepInfo) => T | Promise<T>, options: StepOptions = {}): Promise<T> {
    if (typeof name !== 'string' || name.length === 0)
      throw new ValidationError('name', `Expected step \`name\` to be a non-empty string, got ${String(name)}`);
    const compensate = options.compensate;
    if (compensate !== undefined && (typeof compensate?.type !== 'string' || !this.host.hasHandler(compensate.type))) {
      throw new ValidationError('compensate.type', `Expected \`compensate.type\` to name a job type with a handler, got ${String(compensate?.type)}`);
    }
    // The n-th step with a compensation of the handler, in every attempt: compensations run from the last.
    const order = compensate === undefined ? 0 : this.compensable++;
    if (this.written.has(name)) return this.written.get(name) as T;
    this.steps ??= await this.host.loadSteps(this.record.id);
    if (this.steps.has(name)) return this.steps.get(name) as T;
    // Its compensation is stored before the step runs: once the step has a result, it is sure to have one.
    if (compensate !== undefined) {
      const spec = compensationStep(name);
      if (!this.steps.has(spec) && !this.written.has(spec)) {
        const value = { type: compensate.type, order, ...(compensate.retry === undefined ? {} : { retry: compensate.retry }) } as unknown as Json;
        assertJson(value, `step ${name} compensate`);
        await this.host.writeStep(this, spec, value);
        this.written.set(spec, value);
      }
    }
    // An attempt given up (timed out, cancelled, preempted, stopped) starts no more effects, though its handler ran on.
    if (this.settled) throw this.givenUp();
    const info = { idempotencyKey: stepIdempotencyKey(this.record.id, name), attempt: this.record.attempt };
    const value = this.host.instrumentStep === undefined ? await fn(info) : await this.host.instrumentStep(this.record, name, async () => fn(info));
    const result = (value === undefined ? null : value) as T;
    assertJson(result, `step ${name}`);
    await this.host.writeStep(this, name, result);
    this.written.set(name, result);
    return result;
  }

  releaseKey(options?: { readonly through?: string }): Promise<void> {
    const through = options?.through ?? null;
    if (through !== null) {
      try {
        text('through', through);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const asked = this.keyReleases.get(through ?? '');
    if (asked !== undefined) return asked;
    if (this.record.key === null) return Promise.resolve(); // no key: nothing waits for it
    // An attempt given up releases nothing: the job runs again, and that attempt decides.
    if (this.settled) return Promise.reject(this.givenUp());
    const release = this.host.releaseKey(this, through);
    this.keyReleases.set(through ?? '', release);
    return release;
  }

  async keySuccessors(options?: { readonly limit?: number }): Promise<JobRecord[]> {
    const limit = number('limit', options?.limit ?? LIMITS.batch, 0, true, LIMITS.batch);
    if (this.record.key === null || limit === 0) return [];
    if (this.settled) throw this.givenUp();
    return [...(await this.host.keySuccessors(this.record.id, limit))];
  }

  async sleep(durationMs: number): Promise<void> {
    const ms = duration('durationMs', durationMs, 0);
    return this.sleepFrom(() => this.host.now() + ms);
  }

  async sleepUntil(timeMs: number): Promise<void> {
    const at = number('timeMs', timeMs, 0);
    return this.sleepFrom(() => at);
  }

  async spawn(inputs: JobInput<string, unknown> | ReadonlyArray<JobInput<string, unknown>>): Promise<string[]> {
    const list = Array.isArray(inputs) ? (inputs as ReadonlyArray<JobInput<string, unknown>>) : [inputs as JobInput<string, unknown>];
    const n = this.spawns++;
    const name = `${SPAWN_STEP}${n}`;
    // Each child gets an idempotency key from this job and spawn: submitted again (a retried parent, a crash
    // between the submit and this step's record), it is the same child.
    const keyed = list.map((input, i) =>
      input.idempotencyKey === undefined ? { ...input, idempotencyKey: `${stepIdempotencyKey(this.record.id, name)}:${i}` } : input,
    );
    return this.step(name, async () => (await this.host.submitChildren(keyed)).map((child) => child.id));
  }

  async join(children: readonly string[]): Promise<DependencyResult[]> {
    if (!Array.isArray(children) || children.some((id) => typeof id !== 'string' || id.length === 0)) {
      throw new ValidationError('children', `Expected \`children\` to be job ids (what \`ctx.spawn\` returns), got ${String(children)}`);
    }
    const records = await this.host.getJobs(children);
    if (records.every((r) => r === undefined || isTerminal(r.state))) return children.map((id, i) => dependencyResult(id, records[i]));
    if (this.settled) throw this.givenUp();
    // Not all finished: the attempt ends here; the job waits for them, and its handler runs again after.
    this.joining = [...children];
    this.endAsSleep(Number.POSITIVE_INFINITY);
  }

  async waitForSignal<T extends Json = Json>(name: string, options: { readonly timeoutMs?: number } = {}): Promise<T> {
    text('name', name);
    const timeoutMs = options.timeoutMs === undefined ? null : duration('timeoutMs', options.timeoutMs, 0);
    const n = this.waits++;
    const step = signalStep(name);
    this.steps ??= await this.host.loadSteps(this.record.id);
    if (this.steps.has(step)) return this.steps.get(step) as T;
    const untilMs = await this.step(`${WAIT_STEP}${n}`, () => this.host.now() + (timeoutMs ?? LIMITS.horizonMs));
    // It may have come while this attempt ran: read the steps again.
    this.steps = await this.host.loadSteps(this.record.id);
    if (this.steps.has(step)) return this.steps.get(step) as T;
    if (this.host.now() >= untilMs) throw new SignalTimeoutError(name, timeoutMs);
    this.sleepingUntil = untilMs;
    this.waitingForSignal = name;
    this.endAsSleep(untilMs);
  }

  /**
   * The n-th sleep of the handler: its wake time is stored as a step the
   * first time (so every later attempt finds the same time); until then
   * the attempt ends here, as a sleep, and the job runs again at that time.
   */
  private async sleepFrom(wakeAt: () => number): Promise<void> {
    const untilMs = await this.step(`${SLEEP_STEP}${this.sleeps++}`, () => wakeAt());
    if (this.host.now() >= untilMs) return;
    this.sleepingUntil = untilMs;
    this.endAsSleep(untilMs);
  }

  /** Ends the attempt here as a sleep (the run handler reports it so): its signal aborts, and the handler unwinds. */
  private endAsSleep(untilMs: number): never {
    const sleeping = new SleepingSignal(untilMs);
    this.abort(sleeping);
    throw sleeping;
  }

  /** Why a step cannot start: the attempt's abort reason, or a cancel if it had none. */
  private givenUp(): Error {
    return this.abortReason instanceof Error
      ? this.abortReason
      : new CancelledError(`attempt ${this.record.attempt} of job ${this.record.id} was given up: its steps no longer run`);
  }
}
