import { className } from './class-name.ts';
import { Attempt, type AttemptHost, dependencyResult } from './attempt.ts';
import { CauseCode } from './causes.ts';
import type { Congestion } from './congestion.ts';
import type { Connectivity } from './connectivity.ts';
import type { DependencyResult } from './context.ts';
import type { Dependents } from './dependents.ts';
import { FairReader, type Turn } from './fair-keys.ts';
import { PreemptedError } from './errors.ts';
import type { ResourceHealth } from './health.ts';
import { type Cause, fairnessKeyOf, isTerminal, type JobRecord, JobState, PRIORITY_LEVELS } from './job.ts';
import type { Leases } from './leases.ts';
import type { MetricsRecorder } from './metrics.ts';
import type { ResolvedOptions } from './options.ts';
import type { Random } from './random.ts';
import { readyPatch, transition } from './records.ts';
import { ShareLedger } from './shares.ts';
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

/** A queue's sharing state, kept across ticks in memory. */
interface QueueShares {
  readonly ledger: ShareLedger;
  /** The fairness-key rotation of each priority class. */
  readonly turns: Turn[];
}

/**
 * Fills free slots with ready work, per queue: the priority class by
 * weighted shares (`ShareLedger`), and within it the fairness key by deficit
 * round robin (`FairReader`). A job past its deadline fails, a network job
 * while offline parks, a job whose resource refuses it (breaker, budget,
 * throttle, rate limit) is deferred without spending an attempt; the rest
 * start. When a queue is full and critical work waits, one preemptible job
 * of lower priority gives its slot back.
 *
 * Classes found without ready work are remembered until a committed write
 * readies a job in them, so a queue whose work is all of one class costs
 * one class's reads, not five.
 */
export class Claimer {
  private readonly p: ClaimParts;
  private readonly shares = new Map<string, QueueShares>();
  /** Classes (`queue\u0000priority`) with no ready job as of the last commit. */
  private readonly empty = new Set<string>();
  /** Classes this tick found empty: remembered once it commits. */
  private readonly foundEmpty = new Set<string>();

  constructor(parts: ClaimParts) {
    this.p = parts;
    for (const [queue, q] of parts.options.queues) {
      this.shares.set(queue, {
        ledger: new ShareLedger(q.shares),
        turns: Array.from({ length: PRIORITY_LEVELS }, () => ({ key: null, served: 0, sole: false })),
      });
    }
  }

  async claim(ctx: TickContext): Promise<void> {
    const readied = ctx.tick.readied;
    await this.pass(ctx);
    // A job failing as it is claimed may ready work in a queue passed already: pass again then.
    if (ctx.tick.readied !== readied && this.anyFree()) await this.claim(ctx);
  }

  /** The tick committed: what it found empty stays known, until a write readies a job there. */
  committed(written: Iterable<JobRecord>): void {
    for (const name of this.foundEmpty) this.empty.add(name);
    this.foundEmpty.clear();
    for (const record of written) {
      if (record.rank === null) continue;
      this.empty.delete(className(record.queue, record.priority));
      const turn = this.shares.get(record.queue)?.turns[record.priority];
      if (turn !== undefined && fairnessKeyOf(record) !== turn.key) turn.sole = false;
    }
  }

  /** The tick failed: nothing found in it holds. */
  forget(): void {
    this.empty.clear();
    this.foundEmpty.clear();
    for (const { turns } of this.shares.values()) for (const turn of turns) turn.sole = false;
  }

  private anyFree(): boolean {
    for (const [queue, { concurrency }] of this.p.options.queues) if (this.p.leases.runningIn(queue) < concurrency) return true;
    return false;
  }

  private knownEmpty(ctx: TickContext, queue: string, priority: number): boolean {
    const name = className(queue, priority);
    return (this.empty.has(name) || this.foundEmpty.has(name)) && !ctx.tick.hasRanked(queue, priority);
  }

  private async pass(ctx: TickContext): Promise<void> {
    const { options, leases } = this.p;
    for (const [queue, q] of options.queues) {
      let free = q.concurrency - leases.runningIn(queue);
      if (free === 0 && (await this.preempt(ctx, queue))) free = 1;
      if (free <= 0) continue;
      const { ledger, turns } = this.shares.get(queue)!;
      const running = Number.isFinite(q.keys.concurrency) ? this.runningByKey(queue) : null;
      const readers = turns.map((turn, priority) => new FairReader(ctx.tick, queue, priority, turn, q.keys, running, () => free));
      const exhausted = new Array<boolean>(PRIORITY_LEVELS).fill(false);
      const hasWork = (priority: number): boolean => !exhausted[priority] && !this.knownEmpty(ctx, queue, priority);
      while (free > 0) {
        const priority = ledger.pick(hasWork);
        if (priority < 0) break;
        const reader = readers[priority]!;
        const candidate = await reader.next();
        if (candidate === undefined) {
          exhausted[priority] = true;
          if (reader.empty) this.foundEmpty.add(className(queue, priority));
          continue;
        }
        const base = ctx.current(candidate);
        if (base !== candidate) continue; // ended meanwhile, by what an earlier candidate released
        const readied = ctx.tick.readied;
        if (await this.start(ctx, base)) {
          free--;
          reader.started(base);
          ledger.started(priority, hasWork);
        }
        // A candidate that failed may have readied jobs (its dependents) that come before what was read.
        if (ctx.tick.readied !== readied) {
          for (const r of readers) r.reset();
          exhausted.fill(false);
        }
      }
    }
  }

  private runningByKey(queue: string): Map<string, number> {
    const running = new Map<string, number>();
    for (const attempt of this.p.leases.all()) {
      if (attempt.record.queue !== queue || attempt.settled) continue;
      const key = fairnessKeyOf(attempt.record);
      running.set(key, (running.get(key) ?? 0) + 1);
    }
    return running;
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
    const dependencies = deps === undefined ? NO_DEPENDENCIES : next.dependsOn.map((id, i) => dependencyResult(id, deps[i]));
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
    const critical = PRIORITY_LEVELS - 1;
    if (this.knownEmpty(ctx, queue, critical)) return false;
    const [waiting] = await ctx.tick.claimable({ queue, priority: critical, key: null, after: false }, 1);
    if (waiting === undefined) return false;
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
    ctx.put(transition(base, JobState.ready, ctx.now, cause, { ...readyPatch(ctx.now), attempt: base.attempt - 1 }), base, cause);
    return true;
  }
}
