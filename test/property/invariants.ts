/**
 * What must hold of the core whatever the workload: an observer that hears
 * every event and every handler call as it happens (checks that are cheap
 * enough to run on each), and checks of the store after each step and at the
 * end. Violations are collected, not thrown, so that a check inside an
 * event listener or a handler cannot be swallowed; the runner throws them.
 */
import { type JobContext, type JobRecord, type JobState, type MetricsSnapshot, type SchedulerEvent, type Store, isTerminal } from '@baton/core';
import { isLegalTransition } from '@baton/core/advanced';
import { QUEUES } from './workload.ts';

/** One call of a handler: one attempt of one job, as this process ran it. */
export interface Invocation {
  readonly id: number;
  readonly jobId: string;
  readonly attempt: number;
  readonly queue: string;
  readonly key: string | null;
  /** Which scheduler (0, then one more after each crash) started it. */
  readonly generation: number;
  readonly ctx: JobContext;
  /** The handler returned or threw. */
  done: boolean;
}

/** One run of a step's function (a side effect), by the invocation that ran it. */
interface Effect {
  readonly invocation: Invocation;
  readonly atMs: number;
}

/** What a step's function returns, and so what the store keeps: which invocation ran it. */
export type StepValue = { readonly invocation: number };

interface Announced {
  readonly state: JobState;
  readonly version: number;
  readonly record: JobRecord;
}

/** The name of the abort reason of an invocation that was given up, or `live`. */
function givenUp(inv: Invocation): string {
  if (!inv.ctx.signal.aborted) return inv.done ? 'finished' : 'live';
  const reason = inv.ctx.signal.reason as { name?: string; code?: string } | undefined;
  return `${reason?.name ?? 'aborted'}${reason?.code === undefined ? '' : ` (${reason.code})`}`;
}

const TERMINAL_AT_START: ReadonlySet<JobState> = new Set(['succeeded']);

export class Observer {
  readonly violations: string[] = [];
  /** The last transition announced per job. */
  readonly announced = new Map<string, Announced>();
  /** Ordering keys' chains as the events tell them: admitted in this order; a `retry()` moves a job to the end. */
  readonly chains = new Map<string, string[]>();
  /** Jobs in the order their admission was announced. */
  readonly admitted: string[] = [];
  readonly invocations: Invocation[] = [];
  private live: Invocation[] = [];
  private readonly ledger = new Map<string, Effect[]>();
  events = 0;
  effects = 0;
  /** Step functions run again for the same job and step (after their first attempt was given up). */
  repeatedEffects = 0;
  /** `job.stalled`: leases that lapsed (after a crash) and were recovered. */
  stalled = 0;
  /** Attempts that timed out (their own timeout or the job's deadline). */
  timeouts = 0;
  generation = 0;
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  fail(message: string): void {
    if (this.violations.length < 20) this.violations.push(`[t=${this.now()}] ${message}`);
  }

  // ---- events ---------------------------------------------------------------

  /** The listener for `'*'` on every scheduler of the run. */
  readonly onEvent = (event: SchedulerEvent): void => {
    this.events++;
    if (event.name === 'job.stalled') this.stalled++;
    if (!('to' in event)) {
      if (!this.announced.has(event.jobId)) this.fail(`${event.name} for ${event.jobId}, a job never announced`);
      return;
    }
    const { jobId: id, job } = event;
    const before = this.announced.get(id);
    const from = before?.state ?? null;
    const where = `${event.name} of ${id} (v${job.version}, ${event.from ?? 'new'} → ${event.to}, cause ${event.cause.code})`;
    if (!isLegalTransition(event.from, event.to)) this.fail(`${where}: not a legal transition`);
    if (event.from !== from) this.fail(`${where}: announced from ${event.from ?? 'new'}, but the last state announced was ${from ?? 'none'}`);
    if (before !== undefined && job.version <= before.version)
      this.fail(`${where}: version ${job.version} does not increase on the version announced before, ${before.version}`);
    if (job.state !== event.to) this.fail(`${where}: the record announced is ${job.state}`);
    const last = job.history.at(-1);
    if (last === undefined || last.from !== event.from || last.to !== event.to)
      this.fail(`${where}: the record's last transition is ${last === undefined ? 'none' : `${last.from} → ${last.to}`}`);
    if (job.history.length !== (before?.record.history.length ?? 0) + 1)
      this.fail(`${where}: history grew from ${before?.record.history.length ?? 0} to ${job.history.length} transitions in one event`);

    if (event.from === null) {
      this.admitted.push(id);
      if (job.key !== null) this.chain(job.key).push(id);
    }
    if (event.cause.code === 'manual-retry' && job.key !== null) {
      const chain = this.chain(job.key);
      const at = chain.indexOf(id);
      if (at < 0) this.fail(`${where}: retried, but not in the chain of key ${job.key}`);
      else chain.splice(at, 1);
      chain.push(id);
    }
    if ((event.to === 'ready' || event.to === 'scheduled') && (event.from === null || event.from === 'waiting' || event.from === 'failed') && job.key !== null)
      this.checkKeyOrder(job, `${where}: released`);
    if (event.from === 'running' && (event.cause.code === 'retry' || event.to === 'failed') && job.error?.kind === 'timeout') this.timeouts++;
    if (event.to === 'running') this.checkStart(job, event.atMs);
    this.announced.set(id, { state: event.to, version: job.version, record: job });
  };

  chain(key: string): string[] {
    let chain = this.chains.get(key);
    if (chain === undefined) {
      chain = [];
      this.chains.set(key, chain);
    }
    return chain;
  }

  private stateOf(id: string): JobState | undefined {
    return this.announced.get(id)?.state;
  }

  /** A job starts: its dependencies let it, its key's earlier jobs are done, its deadline has not passed. */
  private checkStart(job: JobRecord, atMs: number): void {
    const where = `${job.id} started (attempt ${job.attempt})`;
    for (const dep of job.dependsOn) {
      const state = this.stateOf(dep);
      if (state === undefined) this.fail(`${where}: its dependency ${dep} was never announced`);
      else if (job.onDependencyFailure === 'continue' ? !isTerminal(state) : !TERMINAL_AT_START.has(state))
        this.fail(`${where} while its dependency ${dep} is ${state} (onDependencyFailure: ${job.onDependencyFailure})`);
    }
    if (job.key !== null) {
      this.checkKeyOrder(job, `${where}`);
      for (const other of this.chain(job.key)) {
        if (other !== job.id && this.stateOf(other) === 'running') this.fail(`${where} while ${other}, of the same key ${job.key}, is running`);
      }
    }
    if (job.deadlineAtMs !== null && atMs >= job.deadlineAtMs) this.fail(`${where} at ${atMs}, at or past its deadline ${job.deadlineAtMs}`);
    if (job.attempt > job.retry.maxAttempts) this.fail(`${where}: attempt ${job.attempt} of at most ${job.retry.maxAttempts}`);
  }

  /** A keyed job released or starting: every earlier job of its key has ended. */
  private checkKeyOrder(job: JobRecord, where: string): void {
    const chain = this.chain(job.key!);
    const at = chain.indexOf(job.id);
    if (at < 0) this.fail(`${where}: not in the chain of its key ${job.key}`);
    for (let i = 0; i < at; i++) {
      const state = this.stateOf(chain[i]!);
      if (state !== undefined && !isTerminal(state)) this.fail(`${where} while ${chain[i]}, before it in key ${job.key} [${chain.join(', ')}], is ${state}`);
    }
  }

  // ---- handlers -------------------------------------------------------------

  /** A handler was called. Returns its invocation, for `effect` and `finished`. */
  started(ctx: JobContext): Invocation {
    const job = ctx.job;
    const inv: Invocation = {
      id: this.invocations.length + 1,
      jobId: job.id,
      attempt: ctx.attempt,
      queue: job.queue,
      key: job.key,
      generation: this.generation,
      ctx,
      done: false,
    };
    this.invocations.push(inv);
    const where = `handler of ${job.id} (attempt ${ctx.attempt}, invocation ${inv.id})`;
    this.live = this.live.filter((i) => !i.done && !i.ctx.signal.aborted);
    for (const other of this.live) {
      if (other.jobId === job.id) this.fail(`${where} started while invocation ${other.id} of the same job is live`);
      if (job.key !== null && other.key === job.key)
        this.fail(`${where} started while ${other.jobId}, of the same key ${job.key}, runs (invocation ${other.id})`);
    }
    this.live.push(inv);
    const inQueue = this.live.filter((i) => i.queue === job.queue).length;
    const concurrency = QUEUES[job.queue as keyof typeof QUEUES]?.concurrency ?? 0;
    if (inQueue > concurrency) this.fail(`${where}: ${inQueue} handlers live in queue ${job.queue} of concurrency ${concurrency}`);
    if (this.stateOf(job.id) !== 'running') this.fail(`${where} before job.running was announced (last: ${this.stateOf(job.id) ?? 'none'})`);
    for (const dep of ctx.dependencies) {
      const ok = job.onDependencyFailure === 'continue' ? isTerminal(dep.state) : dep.state === 'succeeded';
      if (!ok) this.fail(`${where}: ctx.dependencies shows ${dep.id} ${dep.state} (onDependencyFailure: ${job.onDependencyFailure})`);
    }
    return inv;
  }

  finished(inv: Invocation): void {
    inv.done = true;
  }

  /**
   * A step's function runs: a side effect. It must not run in an attempt
   * already given up, and it runs again for the same job and step only when
   * every attempt that ran it before was given up (crash, timeout, cancel)
   * before its result was stored.
   */
  effect(inv: Invocation, step: string): void {
    this.effects++;
    const where = `step ${step} of ${inv.jobId} ran in invocation ${inv.id} (attempt ${inv.attempt})`;
    if (inv.ctx.signal.aborted) this.fail(`${where}, an attempt already given up (${givenUp(inv)})`);
    const name = `${inv.jobId}/${step}`;
    const before = this.ledger.get(name) ?? [];
    for (const prior of before) {
      if (!prior.invocation.ctx.signal.aborted) {
        this.fail(
          `${where}, again: invocation ${prior.invocation.id} (attempt ${prior.invocation.attempt}) ran it at ${prior.atMs} and was not given up (${givenUp(prior.invocation)})`,
        );
      }
    }
    if (before.length > 0) this.repeatedEffects++;
    before.push({ invocation: inv, atMs: this.now() });
    this.ledger.set(name, before);
  }

  /** Jobs the scheduler holds now: started, not returned, not given up. */
  liveIn(queue: string): number {
    this.live = this.live.filter((i) => !i.done && !i.ctx.signal.aborted);
    return this.live.filter((i) => i.queue === queue).length;
  }

  /** Steps stored agree with the effects: a stored result is from the last run of its function. */
  async checkSteps(store: Store, jobs: readonly JobRecord[]): Promise<void> {
    for (const job of jobs) {
      for (const stored of await store.steps(job.id)) {
        if (stored.name.startsWith('\u0000')) continue; // the scheduler's own (a sleep's wake time): no effect of the handler's
        const effects = this.ledger.get(`${job.id}/${stored.name}`);
        const value = stored.result as unknown as StepValue;
        if (effects === undefined || effects.length === 0) {
          this.fail(`step ${stored.name} of ${job.id} is stored, but its function never ran`);
          continue;
        }
        const last = effects.at(-1)!.invocation;
        if (value?.invocation !== last.id) {
          this.fail(
            `step ${stored.name} of ${job.id} stored the result of invocation ${value?.invocation}, but invocation ${last.id} ran it after (runs: ${effects.map((e) => e.invocation.id).join(', ')})`,
          );
        }
      }
    }
  }

  // ---- the store --------------------------------------------------------------

  /** Each stored job: a legal audit trail that the events announced, one by one. */
  checkRecords(jobs: readonly JobRecord[], known: ReadonlySet<string>, seenVersions: Map<string, number>): void {
    for (const job of jobs) {
      const where = `stored ${job.id} (${job.state}, v${job.version})`;
      if (!known.has(job.id)) this.fail(`${where}: no submit returned it`);
      let from: JobState | null = null;
      for (const [i, t] of job.history.entries()) {
        if (t.from !== from) this.fail(`${where}: history[${i}] is from ${t.from ?? 'new'}, but the job was ${from ?? 'new'}`);
        if (!isLegalTransition(t.from, t.to)) this.fail(`${where}: history[${i}] ${t.from ?? 'new'} → ${t.to} is not legal`);
        from = t.to;
      }
      if (from !== job.state) this.fail(`${where}: its history ends in ${from ?? 'nothing'}`);
      const announced = this.announced.get(job.id);
      if (announced === undefined) this.fail(`${where}: never announced`);
      else {
        if (announced.state !== job.state) this.fail(`${where}: the last event announced ${announced.state} (v${announced.version})`);
        if (announced.version > job.version) this.fail(`${where}: an event announced v${announced.version}`);
        if (JSON.stringify(announced.record.history) !== JSON.stringify(job.history))
          this.fail(
            `${where}: its history differs from the one last announced (${job.history.length} transitions stored, ${announced.record.history.length} announced)`,
          );
      }
      const seen = seenVersions.get(job.id);
      if (seen !== undefined && job.version < seen) this.fail(`${where}: went back from v${seen}`);
      seenVersions.set(job.id, job.version);
      if (job.attempt > job.retry.maxAttempts) this.fail(`${where}: attempt ${job.attempt} of at most ${job.retry.maxAttempts}`);
      if (job.state === 'succeeded') {
        const result = job.result as { job?: string; attempt?: number } | null;
        if (result?.job !== job.id || result.attempt !== job.attempt)
          this.fail(`${where}: its result ${JSON.stringify(result)} is not that of its last attempt, ${job.attempt}`);
      }
    }
    for (const id of this.announced.keys()) if (!jobs.some((j) => j.id === id)) this.fail(`${id} was announced but is not stored`);
  }

  /** `metrics().depth` counts the stored jobs, by state and priority. */
  checkDepth(metrics: MetricsSnapshot, jobs: readonly JobRecord[]): void {
    for (const [state, depth] of Object.entries(metrics.depth) as Array<[JobState, MetricsSnapshot['depth'][JobState]]>) {
      const byPriority = [0, 0, 0, 0, 0];
      for (const job of jobs) if (job.state === state) byPriority[job.priority]!++;
      const total = byPriority.reduce((a, b) => a + b, 0);
      if (depth.total !== total || depth.byPriority.join() !== byPriority.join())
        this.fail(`metrics().depth.${state} is ${depth.total} [${depth.byPriority.join()}], the store holds ${total} [${byPriority.join()}]`);
    }
  }

  /**
   * Once the scheduler is idle: no timer overdue, no free slot beside a ready
   * job, and every waiting job waits for something unfinished before it,
   * without a cycle (a dependency, or an earlier job of its key). A job that
   * cannot end is thus reported as soon as the scheduler is idle; the
   * runner's drain reports any job still unfinished at the end.
   */
  checkQuiescent(jobs: readonly JobRecord[], now: number): void {
    const byId = new Map(jobs.map((j) => [j.id, j]));
    for (const job of jobs) {
      if (isTerminal(job.state)) continue;
      const where = `${job.id} (${job.state})`;
      if (job.dueAtMs !== null && job.dueAtMs <= now) this.fail(`${where}: its timer was due at ${job.dueAtMs} and nothing happened`);
      if ((job.state === 'scheduled' || job.state === 'running') && job.dueAtMs === null) this.fail(`${where}: no timer, so nothing will wake it`);
    }
    for (const queue of Object.keys(QUEUES)) {
      const options: { concurrency: number; keys?: { concurrency?: number } } = QUEUES[queue as keyof typeof QUEUES];
      const live = this.liveIn(queue);
      // A ready job may wait while its fairness key runs as many jobs as the queue's per-key limit.
      const perKey = options.keys?.concurrency ?? Number.POSITIVE_INFINITY;
      const liveOf = (key: string | null) => this.live.filter((i) => i.queue === queue && key !== null && i.ctx.job.fairnessKey === key).length;
      const ready = jobs.filter((j) => j.queue === queue && j.state === 'ready' && liveOf(j.fairnessKey ?? null) < perKey);
      if (ready.length > 0 && live < options.concurrency)
        this.fail(`queue ${queue}: ${ready.map((j) => j.id).join(', ')} ready, left unclaimed with ${live} of ${options.concurrency} slots taken`);
    }
    const blockers = new Map<string, string[]>();
    for (const job of jobs) {
      if (job.state !== 'waiting') continue;
      const out: string[] = [];
      for (const dep of job.dependsOn) {
        const d = byId.get(dep);
        if (d === undefined) continue;
        if (!isTerminal(d.state)) out.push(dep);
        else if (d.state !== 'succeeded' && job.onDependencyFailure !== 'continue')
          this.fail(`${job.id} waits although its dependency ${dep} is ${d.state} (onDependencyFailure: ${job.onDependencyFailure})`);
      }
      if (job.key !== null) {
        const chain = this.chain(job.key);
        for (const earlier of chain.slice(0, Math.max(0, chain.indexOf(job.id)))) {
          const e = byId.get(earlier);
          if (e !== undefined && !isTerminal(e.state)) out.push(earlier);
        }
      }
      // An unfinished job its `after` link names comes before it in its key: never itself, nor one behind it.
      const predecessor = job.after === null ? undefined : byId.get(job.after);
      const chain = job.key === null ? [] : this.chain(job.key);
      const behind = predecessor !== undefined && !isTerminal(predecessor.state) && chain.indexOf(predecessor.id) >= chain.indexOf(job.id);
      if (behind) this.fail(`${job.id} waits for ${job.after}, which is not before it in key ${job.key} [${chain.join(', ')}]`);
      else if (out.length === 0) this.fail(`${job.id} waits, but its dependencies and its key's earlier jobs have all ended (after: ${job.after})`);
      blockers.set(job.id, out);
    }
    const cycle = findCycle(blockers);
    if (cycle !== null) {
      const why = cycle.map((id, i) => {
        const next = cycle[(i + 1) % cycle.length]!;
        return `${id} waits for ${next} (${byId.get(id)!.dependsOn.includes(next) ? 'dependency' : `key ${byId.get(id)!.key}`})`;
      });
      this.fail(`deadlock: ${why.join('; ')}`);
    }
  }
}

/** A cycle in a wait-for graph, or `null`. */
function findCycle(edges: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done') return null;
    if (state.get(id) === 'open') return path.slice(path.indexOf(id));
    state.set(id, 'open');
    path.push(id);
    for (const next of edges.get(id) ?? []) {
      if (!edges.has(next)) continue; // not waiting: it can end by itself
      const found = visit(next);
      if (found !== null) return found;
    }
    path.pop();
    state.set(id, 'done');
    return null;
  };
  for (const id of edges.keys()) {
    const found = visit(id);
    if (found !== null) return found;
  }
  return null;
}
