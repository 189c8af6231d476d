import { CauseCode } from './causes.ts';
import type { Congestion } from './congestion.ts';
import type { Connectivity } from './connectivity.ts';
import type { Dependents } from './dependents.ts';
import type { ResourceHealth } from './health.ts';
import { failure } from './failure.ts';
import { type Cause, FailureKind, isTerminal, type JobRecord, JobState } from './job.ts';
import { type Beats, type Leases, type Outcome, progressEvent } from './leases.ts';
import type { MetricsRecorder } from './metrics.ts';
import type { ResolvedOptions } from './options.ts';
import { decideFailure } from './outcome.ts';
import type { Random } from './random.ts';
import { readyPatch, transition, update } from './records.ts';
import { signalStep } from './signals.ts';
import type { TickContext } from './tick-context.ts';

const COMPLETED: Cause = { code: CauseCode.completed };

export interface SettleParts {
  readonly options: ResolvedOptions;
  readonly leases: Leases;
  readonly connectivity: Connectivity;
  readonly health: ResourceHealth;
  readonly congestion: Congestion;
  readonly dependents: Dependents;
  readonly metrics: MetricsRecorder;
  readonly random: Random;
}

/**
 * Applies handler outcomes in a tick: a success finishes the job and
 * releases its waiters; a network error parks it; any other failure goes
 * to the resource's health and then to `decideFailure` (retry, or fail
 * into the dead-letter set). An attempt that no longer holds its job
 * (cancelled, preempted, lease lost) settles nothing.
 */
export class Settler {
  private readonly p: SettleParts;

  constructor(parts: SettleParts) {
    this.p = parts;
  }

  async settle(ctx: TickContext, outcome: Outcome, beats: Beats): Promise<void> {
    const { leases, connectivity, health, congestion, dependents, metrics, options } = this.p;
    const attempt = outcome.attempt;
    if (!leases.holds(attempt)) return;
    leases.drop(attempt);
    const now = ctx.now;
    let base = ctx.current(attempt.record);
    // Progress reported just before the end is kept: it lands with the outcome.
    const beat = beats.get(base.id);
    if (beat?.progress !== undefined) {
      beats.delete(base.id);
      const before = base;
      base = update(base, now, { progress: beat.progress });
      ctx.tick.put(base, before);
      ctx.fx.events.push(progressEvent(base, now, beat.progress));
    }
    metrics.run.record(now - attempt.startedAtMs);

    if (outcome.ok === 'sleep') {
      attempt.span?.end({ outcome: 'sleeping', failure: null, retryDelayMs: null });
      if (outcome.join !== null) await this.join(ctx, base, outcome.join);
      else await this.sleep(ctx, base, outcome.untilMs, outcome.signal);
      return;
    }
    // Any answer means the network works; only network errors in a row mean it does not.
    if (base.network && (outcome.ok || outcome.failure.kind !== FailureKind.offline)) connectivity.answered();
    if (outcome.ok) {
      if (base.resource !== null) await health.record(ctx.tick, base.resource, now, true, attempt.probe);
      attempt.span?.end({ outcome: 'succeeded', failure: null, retryDelayMs: null });
      const { job, waiters } = await dependents.finish(ctx, base, JobState.succeeded, COMPLETED, { result: outcome.result, error: null });
      if (!options.keepSucceeded && job.idempotencyKey === null && waiters === 0) ctx.tick.delete(job.id);
      return;
    }
    const fault = outcome.failure;
    if (fault.kind === FailureKind.offline) {
      // Not the server's fault and not the job's: give the attempt back.
      connectivity.networkError(now);
      connectivity.park(ctx, base, base.attempt - 1, `network error: ${fault.message}`);
      attempt.span?.end({ outcome: 'parked', failure: fault, retryDelayMs: null });
      return;
    }
    if (base.resource !== null) await health.record(ctx.tick, base.resource, now, fault.kind === FailureKind.permanent, attempt.probe);
    const stretch = (base.resource === null ? 1 : await health.stretch(ctx.tick, base.resource, now)) * congestion.retryStretch(base.priority);
    const decision = decideFailure({
      job: base,
      failure: fault,
      deadline: outcome.deadline,
      nowMs: now,
      stretch,
      retryPolicy: options.retryPolicy,
      random: this.p.random,
    });
    if (decision.kind === 'fail') {
      attempt.span?.end({ outcome: 'failed', failure: fault, retryDelayMs: null });
      await dependents.fail(ctx, base, decision.cause, fault);
    } else if (decision.kind === 'retry') {
      attempt.span?.end({ outcome: 'retry', failure: fault, retryDelayMs: decision.patch.retryDelayMs ?? null });
      ctx.put(transition(base, decision.to, now, decision.cause, decision.patch), base, decision.cause);
    }
  }

  /**
   * The handler joins jobs that have not all finished: the job waits for
   * them as for dependencies (whatever their outcome: the handler reads it),
   * its attempt given back. If they finished while the attempt ended, it is
   * ready at once.
   */
  private async join(ctx: TickContext, base: JobRecord, children: readonly string[]): Promise<void> {
    const records = await ctx.tick.getMany(children);
    const open = children.filter((_, i) => records[i] !== undefined && !isTerminal(records[i]!.state));
    const dependsOn = [...new Set([...base.dependsOn, ...children])];
    const attempt = base.attempt - 1;
    if (open.length === 0) {
      const cause: Cause = { code: CauseCode.unblocked, message: `the ${children.length} jobs it joins finished as its attempt ended` };
      ctx.put(transition(base, JobState.ready, ctx.now, cause, { ...readyPatch(ctx.now), attempt, dependsOn }), base, cause);
      return;
    }
    const cause: Cause = { code: CauseCode.joining, message: `waiting for ${open.length} of the ${children.length} jobs it joins; the attempt is not counted` };
    ctx.put(
      transition(base, JobState.waiting, ctx.now, cause, { attempt, dependsOn, onDependencyFailure: 'continue', rank: null, dueAtMs: null }),
      base,
      cause,
    );
  }

  /**
   * The handler went to sleep: the job waits for the time, its attempt given
   * back; past its deadline, it fails. Waiting for a signal, it waits at most
   * until its deadline (the claim then fails it), and if the signal came
   * while the attempt ended, it is ready at once.
   */
  private async sleep(ctx: TickContext, base: JobRecord, untilMs: number, signal: string | null): Promise<void> {
    const until = new Date(untilMs).toISOString();
    if (signal !== null) {
      const arrived = (await ctx.tick.stepsOf(base.id)).some((s) => s.name === signalStep(signal));
      const cause: Cause = arrived
        ? { code: CauseCode.signalled, message: `signal ${JSON.stringify(signal)} arrived as the attempt ended` }
        : { code: CauseCode.waitingForSignal, message: `waiting for signal ${JSON.stringify(signal)} until ${until}; the attempt is not counted` };
      const wakeAt = base.deadlineAtMs === null ? untilMs : Math.min(untilMs, base.deadlineAtMs);
      const next = arrived
        ? transition(base, JobState.ready, ctx.now, cause, { ...readyPatch(ctx.now), attempt: base.attempt - 1 })
        : transition(base, JobState.scheduled, ctx.now, cause, { attempt: base.attempt - 1, runAtMs: wakeAt, dueAtMs: wakeAt, rank: null });
      ctx.put(next, base, cause);
      return;
    }
    if (base.deadlineAtMs !== null && untilMs >= base.deadlineAtMs) {
      const fault = failure(FailureKind.timeout, CauseCode.deadlineExceeded, `a sleep until ${until} would end after the deadline ${base.deadlineAtMs}`);
      await this.p.dependents.fail(ctx, base, { code: CauseCode.deadlineExceeded, message: fault.message }, fault);
      return;
    }
    const cause: Cause = { code: CauseCode.sleeping, message: `sleeping until ${until}; the attempt is not counted` };
    ctx.put(transition(base, JobState.scheduled, ctx.now, cause, { attempt: base.attempt - 1, runAtMs: untilMs, dueAtMs: untilMs, rank: null }), base, cause);
  }
}
