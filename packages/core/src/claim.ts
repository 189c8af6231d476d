import { Attempt, type AttemptHost } from './attempt.ts';
import { CauseCode } from './causes.ts';
import type { Congestion } from './congestion.ts';
import type { Connectivity } from './connectivity.ts';
import type { DependencyResult } from './context.ts';
import type { Dependents } from './dependents.ts';
import { PreemptedError } from './errors.ts';
import { failure } from './failure.ts';
import type { ResourceHealth } from './health.ts';
import { type Cause, FailureKind, isTerminal, type JobRecord, JobState, PRIORITY_LEVELS } from './job.ts';
import type { Leases } from './leases.ts';
import type { MetricsRecorder } from './metrics.ts';
import type { ResolvedOptions } from './options.ts';
import type { Random } from './random.ts';
import { readyPatch, transition } from './records.ts';
import type { TickContext } from './tick-context.ts';

const NO_DEPENDENCIES: readonly DependencyResult[] = [];
const CLAIMED: Cause = { code: CauseCode.claimed };

/** What claiming needs from the rest of the scheduler. */
export interface ClaimParts {
  readonly options: ResolvedOptions;
  readonly leases: Leases;
  readonly connectivity: Connectivity;
  readonly health: ResourceHealth;
  readonly congestion: Congestion;
  readonly dependents: Dependents;
  readonly metrics: MetricsRecorder;
  readonly random: Random;
  readonly host: AttemptHost;
}

/**
 * Fills free slots with ready work, best rank first, per queue: a job past
 * its deadline fails, a network job while offline parks, a job whose
 * resource refuses it (breaker, budget, throttle, rate limit) is deferred
 * without spending an attempt; the rest start. When a queue is full and
 * critical work waits, one preemptible job of lower priority gives its
 * slot back.
 */
export class Claimer {
  private readonly p: ClaimParts;

  constructor(parts: ClaimParts) {
    this.p = parts;
  }

  async claim(ctx: TickContext): Promise<void> {
    const readied = ctx.tick.readied;
    await this.pass(ctx);
    // A job failing as it is claimed may ready work in a queue passed already: pass again then.
    if (ctx.tick.readied !== readied && this.anyFree()) await this.claim(ctx);
  }

  private anyFree(): boolean {
    for (const [queue, { concurrency }] of this.p.options.queues) if (this.p.leases.runningIn(queue) < concurrency) return true;
    return false;
  }

  private async pass(ctx: TickContext): Promise<void> {
    const { options, leases } = this.p;
    for (const [queue, { concurrency }] of options.queues) {
      let free = concurrency - leases.runningIn(queue);
      if (free === 0 && (await this.preempt(ctx, queue))) free = 1;
      while (free > 0) {
        const want = Math.min(free, options.maxBatch);
        const candidates = await ctx.tick.claimable(queue, want);
        let refetch = false;
        for (const listed of candidates) {
          const base = ctx.current(listed);
          if (base !== listed) continue; // ended meanwhile, by what an earlier candidate released
          const readied = ctx.tick.readied;
          if (await this.start(ctx, base)) free--;
          // A candidate that failed may have readied its dependents: they may rank before the rest.
          if (ctx.tick.readied !== readied) {
            refetch = true;
            break;
          }
        }
        if (!refetch && candidates.length < want) break;
      }
    }
  }

  /** Claims one candidate; returns whether it took a slot. */
  private async start(ctx: TickContext, base: JobRecord): Promise<boolean> {
    const { leases, connectivity, health, congestion, dependents, metrics, random, host } = this.p;
    const now = ctx.now;
    if (base.deadlineAtMs !== null && now >= base.deadlineAtMs) {
      await dependents.fail(ctx, base, congestion.missedDeadline(base), null);
      return false;
    }
    const deps = base.dependsOn.length === 0 ? undefined : await ctx.tick.getMany(base.dependsOn);
    const waitsFor = deps?.find((dep) => dep !== undefined && !isTerminal(dep.state));
    if (waitsFor !== undefined) {
      // A dependency was retried after it released this job: wait for its new outcome.
      const cause: Cause = { code: CauseCode.dependencyRetried, message: `waits again for ${waitsFor.id}, retried` };
      ctx.put(transition(base, JobState.waiting, now, cause, { rank: null }), base, cause);
      return false;
    }
    if (base.network && !connectivity.isOnline(now)) {
      connectivity.park(ctx, base, base.attempt, CauseCode.offline);
      return false;
    }
    let probe = false;
    if (base.resource !== null) {
      const decision = await health.admit(ctx.tick, base.resource, now, base.attempt > 0, random);
      if (!decision.allow) {
        // Deferred, not failed: no attempt is spent. Wake-ups are spread over as long again as the
        // wait (at least 100 ms), so the deferred do not come back as one herd.
        const spread = Math.round(random.next() * Math.max(100, decision.retryAtMs - now));
        const cause: Cause = { code: CauseCode.deferred, message: `deferred: ${decision.reason}` };
        ctx.put(transition(base, JobState.scheduled, now, cause, { rank: null, runAtMs: decision.retryAtMs + spread }), base, cause);
        return false;
      }
      probe = decision.probe;
    }
    const claimed = this.p.options.runner === null ? CLAIMED : { ...CLAIMED, runner: this.p.options.runner };
    const next = transition(base, JobState.running, now, claimed, { attempt: base.attempt + 1, startedAtMs: now, rank: null, dueAtMs: now + base.leaseMs });
    ctx.put(next, base, claimed);
    metrics.wait.record(now - base.readyAtMs!);
    const dependencies = deps === undefined ? NO_DEPENDENCIES : dependencyResults(deps, next.dependsOn);
    const attempt = new Attempt(host, next, now, dependencies);
    attempt.probe = probe;
    leases.add(attempt);
    connectivity.started(next.id);
    ctx.fx.claimed.push(attempt);
    return true;
  }

  /**
   * Critical work waits and every slot of its queue is taken: abort one
   * running preemptible job of lower priority and requeue it, giving back
   * its attempt. Returns whether a slot was freed.
   */
  private async preempt(ctx: TickContext, queue: string): Promise<boolean> {
    const [waiting] = await ctx.tick.claimable(queue, 1);
    if (waiting === undefined || waiting.priority < PRIORITY_LEVELS - 1) return false;
    let victim: Attempt | undefined;
    for (const attempt of this.p.leases.all()) {
      const r = attempt.record;
      if (r.queue !== queue || !r.preemptible || attempt.settled || r.priority >= waiting.priority) continue;
      if (victim === undefined || r.priority < victim.record.priority) victim = attempt;
    }
    if (victim === undefined) return false;
    const base = ctx.current(victim.record);
    this.p.leases.abandon(victim, new PreemptedError(`preempted by critical job ${waiting.id}`));
    const cause: Cause = { code: CauseCode.preempted, message: `preempted by critical job ${waiting.id}; the attempt is not counted` };
    ctx.put(
      transition(base, JobState.ready, ctx.now, cause, { ...readyPatch(base, ctx.now, this.p.congestion.stepMs), attempt: base.attempt - 1 }),
      base,
      cause,
    );
    return true;
  }
}

function dependencyResults(records: ReadonlyArray<JobRecord | undefined>, ids: readonly string[]): DependencyResult[] {
  return ids.map((id, i) => {
    const r = records[i];
    return r === undefined
      ? {
          id,
          type: '',
          state: JobState.failed,
          result: null,
          error: failure(FailureKind.permanent, CauseCode.dependencyMissing, `dependency ${id} no longer exists`),
        }
      : { id, type: r.type, state: r.state, result: r.result, error: r.error };
  });
}
