/**
 * Runs a workload on a Rig (a scheduler on a fake clock over a store
 * harness) and checks it against the model as it goes: the invariants in
 * `invariants.ts` after every step, the expected answers of submits (with
 * idempotency), cancels and retries, the ordering keys' chains, and at the
 * end that every job finished and everything agrees.
 */
import {
  isBatonError,
  isTerminal,
  JobError,
  type JobContext,
  type JobInput,
  type JobRecord,
  type Store,
  type SubmitInput,
  type SubmitResult,
} from '@baton/core';
import { Rig, type StoreHarness } from '@baton/core/testing';
import { Observer, type StepValue } from './invariants.ts';
import {
  type Action,
  batchDepsOf,
  HANG_MS,
  IDEMPOTENCY_TTL_MS,
  type JobSpec,
  LEASE_MS,
  type Payload,
  QUEUES,
  type Target,
  unitOrder,
  type Workload,
} from './workload.ts';

export interface RunStats {
  ops: number;
  jobs: number;
  events: number;
  invocations: number;
  effects: number;
  /** Step functions that ran again, each after the attempt that ran them first was given up. */
  repeatedEffects: number;
  crashes: number;
  /** Leases recovered after a crash (`job.stalled`). */
  stalled: number;
  /** Attempts ended by their timeout or their job's deadline. */
  timeouts: number;
  /** Submits whose idempotency key had expired: a new job. */
  expiredKeys: number;
  deduplicated: number;
  conflicts: number;
  cancels: number;
  retries: number;
  refused: number;
  /** Fake time the run covered, the final drain included. */
  fakeMs: number;
}

export function emptyStats(): RunStats {
  return {
    ops: 0,
    jobs: 0,
    events: 0,
    invocations: 0,
    effects: 0,
    repeatedEffects: 0,
    crashes: 0,
    stalled: 0,
    timeouts: 0,
    expiredKeys: 0,
    deduplicated: 0,
    conflicts: 0,
    cancels: 0,
    retries: 0,
    refused: 0,
    fakeMs: 0,
  };
}

export function addStats(into: RunStats, more: RunStats): void {
  for (const name of Object.keys(into) as Array<keyof RunStats>) into[name] += more[name];
}

export interface RunResult {
  readonly stats: RunStats;
  /** A hash of every event of the run, in order: the same workload on the same store gives the same digest. */
  readonly digest: string;
}

/** What the model broke, with the events that led to it. */
export class ModelViolation extends Error {
  override name = 'ModelViolation';
}

/** The drain at the end: this much fake time, in steps, for every job to finish. */
const DRAIN_STEP_MS = 5_000;
const DRAIN_STEPS = 120;

type Handlers = ReturnType<typeof handlersFor>;

function handlersFor(observer: Observer, rig: () => Rig) {
  return {
    work: async (payload: Payload, ctx: JobContext) => {
      const inv = observer.started(ctx);
      try {
        const plan = payload.plan[Math.min(ctx.attempt, payload.plan.length) - 1]!;
        for (let s = 0; s < plan.steps; s++) {
          await ctx.step(`s${s}`, async (): Promise<StepValue> => {
            observer.effect(inv, `s${s}`);
            if (plan.stepMs > 0) await rig().sleep(plan.stepMs);
            return { invocation: inv.id };
          });
        }
        if (plan.sleepMs > 0) await ctx.sleep(plan.sleepMs);
        if (plan.workMs > 0) await rig().sleep(plan.workMs);
        if (plan.end === 'transient') throw new Error(`transient failure of ${ctx.job.id}, attempt ${ctx.attempt}`);
        if (plan.end === 'permanent') throw JobError.nonRetryable(`permanent failure of ${ctx.job.id}, attempt ${ctx.attempt}`);
        if (plan.end === 'hang') {
          // Ignores its signal; long after its attempt was given up, it tries one more effect.
          await rig().sleep(HANG_MS);
          try {
            await ctx.step('late', (): StepValue => {
              observer.effect(inv, 'late');
              return { invocation: inv.id };
            });
          } catch {
            // refused, as it must be
          }
        }
        return { job: ctx.job.id, attempt: ctx.attempt };
      } finally {
        observer.finished(inv);
      }
    },
  };
}

async function listAll(store: Store): Promise<JobRecord[]> {
  const out: JobRecord[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.list(cursor === null ? { limit: 500 } : { limit: 500, cursor });
    out.push(...page.jobs);
    cursor = page.cursor;
  } while (cursor !== null);
  return out;
}

interface IdemEntry {
  readonly jobId: string;
  readonly variant: number;
  readonly expiresAtMs: number;
}

/** Runs `workload` on a new rig over `harness`; throws a `ModelViolation` on the first step that breaks the model. */
export async function runWorkload(harness: StoreHarness, workload: Workload): Promise<RunResult> {
  const stats = emptyStats();
  let digest = 0x811c9dc5;
  let rig!: Rig<Handlers>;
  const observer = new Observer(() => rig?.clock.now() ?? 0);
  const trace: string[] = [];
  rig = await Rig.create(harness, {
    handlers: handlersFor(observer, () => rig as unknown as Rig),
    queues: QUEUES,
    leaseMs: LEASE_MS,
    idempotencyTtlMs: IDEMPOTENCY_TTL_MS,
    retry: { maxAttempts: 2, backoff: { kind: 'constant', delayMs: 100 } },
    logger: { error: (message, fields) => observer.fail(`logger.error: ${message} ${String((fields as { error?: unknown }).error ?? '')}`) },
  });
  const startMs = rig.clock.now();

  // Hear every scheduler of the run from its first tick: the rig replaces `scheduler` on a crash, then starts it.
  let current = rig.scheduler;
  const listen = (s: typeof current) =>
    s.on('*', (event) => {
      observer.onEvent(event);
      const line =
        'to' in event
          ? `t+${event.atMs - startMs} ${event.jobId} ${event.from ?? 'new'} → ${event.to} (${event.cause.code}) v${event.job.version}`
          : `t+${event.atMs - startMs} ${event.jobId} ${event.name}`;
      trace.push(line);
      for (let i = 0; i < line.length; i++) digest = Math.imul(digest ^ line.charCodeAt(i), 0x01000193) >>> 0;
      if (trace.length > 400) trace.splice(0, 100);
    });
  let off = listen(current);
  Object.defineProperty(rig, 'scheduler', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (next: typeof current) => {
      off();
      current = next;
      observer.generation++;
      off = listen(next);
    },
  });
  rig.scheduler.start();

  /** Job ids in admission order. */
  const known: string[] = [];
  const knownSet = new Set<string>();
  const chains = new Map<string, string[]>();
  const idempotency = new Map<string, IdemEntry>();
  const expectedDeps = new Map<string, readonly string[]>();
  const cancelledByRequest = new Set<string>();
  const seenVersions = new Map<string, number>();
  const chainOf = (key: string) => {
    let chain = chains.get(key);
    if (chain === undefined) {
      chain = [];
      chains.set(key, chain);
    }
    return chain;
  };

  const raise = (where: string): never => {
    throw new ModelViolation(`${where}:\n  - ${observer.violations.join('\n  - ')}\n\nlast events (t+ms since start):\n    ${trace.slice(-40).join('\n    ')}`);
  };

  const check = async (where: string, jobs?: readonly JobRecord[]): Promise<JobRecord[]> => {
    const all = jobs === undefined ? await listAll(rig.store) : [...jobs];
    observer.checkRecords(all, knownSet, seenVersions);
    observer.checkDepth(await rig.scheduler.metrics(), all);
    observer.checkQuiescent(all, rig.clock.now());
    for (const [key, chain] of chains) {
      const announced = observer.chain(key);
      if (announced.join() !== chain.join()) observer.fail(`key ${key}: the model's order is [${chain.join(', ')}], the events' [${announced.join(', ')}]`);
    }
    if (observer.admitted.join() !== known.join()) observer.fail(`admitted [${observer.admitted.join(', ')}], submits returned [${known.join(', ')}]`);
    if (observer.violations.length > 0) raise(where);
    return all;
  };

  const pick = (target: Target, pre: ReadonlyMap<string, JobRecord>): string | undefined => {
    if (known.length === 0) return undefined;
    const among =
      target.among === 'live'
        ? known.filter((id) => !isTerminal(pre.get(id)!.state))
        : target.among === 'failed'
          ? known.filter((id) => pre.get(id)!.state === 'failed')
          : known;
    const from = among.length > 0 ? among : known;
    return from[target.index % from.length];
  };

  const input = (spec: JobSpec, i: number, batch: readonly JobSpec[], batchDeps: readonly number[], earlier: readonly string[], now: number) => {
    const dependsOn: string[] = [];
    for (const dep of spec.deps) {
      const ref = dep.on === 'earlier' ? (earlier.length === 0 ? undefined : earlier[dep.index % earlier.length]) : undefined;
      if (ref !== undefined && !dependsOn.includes(ref)) dependsOn.push(ref);
    }
    for (const j of batchDeps) dependsOn.push(`r${j}`);
    const out: { -readonly [K in keyof JobInput<'work', Payload>]: JobInput<'work', Payload>[K] } = {
      type: 'work',
      payload: { plan: spec.plan },
      priority: spec.priority,
      queue: spec.queue,
      dependsOn,
      onDependencyFailure: spec.onDependencyFailure,
      retry: { maxAttempts: spec.maxAttempts, onTimeout: spec.onTimeout },
    };
    if (batch.length > 1) out.ref = `r${i}`;
    if (spec.key !== null) out.key = spec.key;
    if (spec.fairness !== null) out.fairnessKey = spec.fairness;
    if (spec.idem !== null) out.idempotencyKey = spec.idem.key;
    if (spec.delayMs !== null) out.delayMs = spec.delayMs;
    if (spec.deadlineMs !== null) out.deadlineAtMs = now + spec.deadlineMs;
    if (spec.timeoutMs !== null) out.timeoutMs = spec.timeoutMs;
    return out as SubmitInput<Handlers>;
  };

  /**
   * Whether an unfinished job of `id`'s key waits on `id`: through the
   * dependencies of unfinished jobs (checked again at every claim), or the
   * earlier jobs of the key of one that has not started. A retry, which puts
   * `id` behind them, must then be refused as a cycle.
   */
  const waitedOnInKey = (id: string, pre: ReadonlyMap<string, JobRecord>): boolean => {
    const key = pre.get(id)!.key;
    if (key === null) return false;
    const unfinished = (j: JobRecord | undefined): j is JobRecord => j !== undefined && !isTerminal(j.state);
    const stack = chainOf(key).filter((j) => j !== id && unfinished(pre.get(j)));
    const seen = new Set(stack);
    while (stack.length > 0) {
      const job = pre.get(stack.pop()!)!;
      if (job.dependsOn.includes(id)) return true;
      const chain = job.key === null || job.startedAtMs !== null ? [] : chainOf(job.key);
      const earlier = chain.slice(0, chain.indexOf(job.id)).filter((j) => j !== id);
      for (const next of [...job.dependsOn, ...earlier]) {
        if (seen.has(next) || !unfinished(pre.get(next))) continue;
        seen.add(next);
        stack.push(next);
      }
    }
    return false;
  };

  const act = async (actions: readonly Action[]): Promise<void> => {
    const now = rig.clock.now();
    const earlier = [...known];
    const preRecords = await rig.store.getMany(earlier);
    const pre = new Map(earlier.map((id, i) => [id, preRecords[i]!]));
    type Call =
      | { kind: 'submit'; jobs: readonly JobSpec[]; batchDeps: number[][]; promise: Promise<SubmitResult[]> }
      | { kind: 'cancel' | 'retry'; id: string; promise: Promise<JobRecord> };
    const calls: Call[] = [];
    // All called before any is awaited: they land in one tick.
    for (const action of actions) {
      if (action.kind === 'submit') {
        const batchDeps = batchDepsOf(action.jobs);
        const inputs = action.jobs.map((spec, i) => input(spec, i, action.jobs, batchDeps[i]!, earlier, now));
        const promise = (inputs.length === 1 ? rig.scheduler.submit(inputs[0]!).then((r) => [r]) : rig.scheduler.submitAll(inputs)) as Promise<SubmitResult[]>;
        calls.push({ kind: 'submit', jobs: action.jobs, batchDeps, promise });
      } else {
        const id = pick(action.target, pre);
        if (id === undefined) continue;
        const promise = (action.kind === 'cancel' ? rig.scheduler.cancel(id) : rig.scheduler.retry(id)) as Promise<JobRecord>;
        calls.push({ kind: action.kind, id, promise });
      }
    }
    const outcomes = await Promise.allSettled(calls.map((c) => c.promise as Promise<unknown>));
    await rig.settle();

    // The tick admitted the submits in call order (each batch dependencies first), then applied cancels and retries.
    for (const [c, call] of calls.entries()) {
      if (call.kind !== 'submit') continue;
      const outcome = outcomes[c]!;
      const order = unitOrder(call.batchDeps);
      const local = new Map<string, { index: number; variant: number }>();
      let conflict: string | null = null;
      const expectedDedup = new Map<number, { index: number } | { id: string }>();
      for (const i of order) {
        const idem = call.jobs[i]!.idem;
        if (idem === null) continue;
        const inUnit = local.get(idem.key);
        const stored = idempotency.get(idem.key);
        const existing = inUnit ?? (stored !== undefined && stored.expiresAtMs > now ? stored : undefined);
        if (existing === undefined) {
          if (inUnit === undefined && stored !== undefined) stats.expiredKeys++;
          local.set(idem.key, { index: i, variant: idem.variant });
        } else if (existing.variant !== idem.variant) {
          conflict = idem.key;
          break;
        } else {
          expectedDedup.set(i, 'index' in existing ? { index: existing.index } : { id: existing.jobId });
        }
      }
      const what = `submit #${c} of [${actions.map((a) => a.kind).join(', ')}]`;
      if (conflict !== null) {
        if (outcome.status === 'fulfilled') observer.fail(`${what}: idempotency key ${conflict} with another payload, yet it was accepted`);
        else if (!isBatonError(outcome.reason, 'idempotency-conflict'))
          observer.fail(`${what}: expected an idempotency-conflict, got ${String(outcome.reason)}`);
        else stats.conflicts++;
        continue;
      }
      if (outcome.status === 'rejected') {
        observer.fail(`${what}: rejected with ${String(outcome.reason)}`);
        continue;
      }
      const results = outcome.value as SubmitResult[];
      for (const i of order) {
        const result = results[i]!;
        const dedup = expectedDedup.get(i);
        if (dedup !== undefined) {
          const id = 'id' in dedup ? dedup.id : results[dedup.index]!.job.id;
          if (!result.deduplicated || result.job.id !== id)
            observer.fail(`${what}: job ${i} should return ${id} deduplicated, got ${result.job.id} (deduplicated: ${result.deduplicated})`);
          stats.deduplicated++;
          continue;
        }
        if (result.deduplicated) {
          observer.fail(`${what}: job ${i} was deduplicated to ${result.job.id}, the model expected a new job`);
          continue;
        }
        const id = result.job.id;
        const spec = call.jobs[i]!;
        known.push(id);
        knownSet.add(id);
        stats.jobs++;
        if (spec.key !== null) chainOf(spec.key).push(id);
        const deps: string[] = [];
        for (const dep of spec.deps) {
          const ref = dep.on === 'earlier' ? (earlier.length === 0 ? undefined : earlier[dep.index % earlier.length]) : undefined;
          if (ref !== undefined && !deps.includes(ref)) deps.push(ref);
        }
        for (const j of call.batchDeps[i]!) deps.push(results[j]!.job.id);
        expectedDeps.set(id, deps);
      }
      for (const [key, entry] of local)
        idempotency.set(key, { jobId: results[entry.index]!.job.id, variant: entry.variant, expiresAtMs: now + IDEMPOTENCY_TTL_MS });
    }
    const single = calls.length === 1;
    for (const [c, call] of calls.entries()) {
      if (call.kind === 'submit') continue;
      const outcome = outcomes[c]!;
      const before = pre.get(call.id)!;
      const what = `${call.kind}(${call.id}) of a ${before.state} job`;
      if (call.kind === 'cancel') {
        if (outcome.status === 'fulfilled') {
          stats.cancels++;
          cancelledByRequest.add(call.id);
          const job = outcome.value as JobRecord;
          if (job.state !== 'cancelled') observer.fail(`${what} answered ${job.state}`);
          if (single && isTerminal(before.state)) observer.fail(`${what} was accepted`);
        } else if (!isBatonError(outcome.reason, 'illegal-transition')) observer.fail(`${what} refused with ${String(outcome.reason)}`);
        else if (single && !isTerminal(before.state)) observer.fail(`${what} refused with ${String(outcome.reason)}`);
        else stats.refused++;
        continue;
      }
      // retry
      let expected: 'ok' | 'illegal-transition' | 'dependency-failed' | 'dependency-cycle' | null = null;
      if (single) {
        if (before.state !== 'failed') expected = 'illegal-transition';
        else {
          const deps = await rig.store.getMany(before.dependsOn);
          const failedDep = deps.some((d) => d === undefined || d.state === 'failed' || d.state === 'cancelled');
          expected = failedDep && before.onDependencyFailure !== 'continue' ? 'dependency-failed' : waitedOnInKey(call.id, pre) ? 'dependency-cycle' : 'ok';
        }
      }
      if (outcome.status === 'fulfilled') {
        stats.retries++;
        const job = outcome.value as JobRecord;
        if (job.state !== 'ready' && job.state !== 'waiting') observer.fail(`${what} answered ${job.state}`);
        if (expected !== null && expected !== 'ok') observer.fail(`${what} was accepted, expected ${expected}`);
        if (before.key !== null) {
          const chain = chainOf(before.key);
          chain.splice(chain.indexOf(call.id), 1);
          chain.push(call.id);
        }
      } else {
        const code = (outcome.reason as { code?: string }).code;
        if (code !== 'illegal-transition' && code !== 'dependency-failed' && code !== 'dependency-cycle')
          observer.fail(`${what} refused with ${String(outcome.reason)}`);
        else if (expected !== null && expected !== code) observer.fail(`${what} refused with ${code}, expected ${expected}`);
        else stats.refused++;
      }
    }
  };

  try {
    for (const [i, op] of workload.ops.entries()) {
      stats.ops++;
      if (op.kind === 'act') await act(op.actions);
      else if (op.kind === 'advance') await rig.advance(op.ms);
      else {
        stats.crashes++;
        await rig.crashAndRestart();
      }
      await check(`after op ${i} (${op.kind})`);
    }

    // The end: every job finishes once time has moved far enough, and waitFor hears of it.
    let jobs = await listAll(rig.store);
    const waited = new Map<string, JobRecord>();
    for (const job of jobs) {
      if (isTerminal(job.state)) continue;
      rig.scheduler.waitFor(job.id).then(
        (done) => waited.set(job.id, done as JobRecord),
        (error: unknown) => observer.fail(`waitFor(${job.id}) rejected: ${String(error)}`),
      );
    }
    const unfinished = jobs.filter((j) => !isTerminal(j.state)).map((j) => j.id);
    for (let round = 0; round < DRAIN_STEPS && jobs.some((j) => !isTerminal(j.state)); round++) {
      await rig.advance(DRAIN_STEP_MS);
      jobs = await check(`draining, round ${round}`);
    }
    await rig.settle();
    jobs = await check('after the drain');
    // Nothing may be left behind: a job still unfinished now is stuck, whatever it waits for.
    const stuck = jobs.filter((j) => !isTerminal(j.state));
    if (stuck.length > 0) {
      const stateOf = (id: string) => `${id} ${jobs.find((j) => j.id === id)?.state ?? 'not stored'}`;
      const waitsFor = (j: JobRecord) =>
        `after ${j.after === null ? 'none' : stateOf(j.after)}, deps [${j.dependsOn.map(stateOf).join(', ')}]${j.dueAtMs === null ? '' : `, due at ${j.dueAtMs}`}`;
      observer.fail(
        `${DRAIN_STEPS * DRAIN_STEP_MS} ms after the last operation, still unfinished: ${stuck.map((j) => `${j.id} ${j.state} (${waitsFor(j)})`).join('; ')}`,
      );
    }
    for (const id of unfinished) {
      const done = waited.get(id);
      const stored = jobs.find((j) => j.id === id)!;
      if (done === undefined) observer.fail(`waitFor(${id}) never resolved (stored: ${stored.state})`);
      else if (done.state !== stored.state || done.version > stored.version)
        observer.fail(`waitFor(${id}) resolved ${done.state} v${done.version}, stored ${stored.state} v${stored.version}`);
    }
    for (const job of jobs) {
      const deps = expectedDeps.get(job.id);
      if (deps !== undefined && deps.join() !== job.dependsOn.join())
        observer.fail(`${job.id} depends on [${job.dependsOn.join(', ')}], submitted with [${deps.join(', ')}]`);
      if (cancelledByRequest.has(job.id) && job.state !== 'cancelled') observer.fail(`${job.id}: its cancel was answered, yet it is ${job.state}`);
      if (job.state === 'cancelled' && !cancelledByRequest.has(job.id)) {
        const cause = job.history.at(-1)!.cause.code;
        if (job.onDependencyFailure !== 'cancel' || (cause !== 'dependency-failed' && cause !== 'dependency-missing'))
          observer.fail(`${job.id} is cancelled (cause ${cause}, onDependencyFailure ${job.onDependencyFailure}), yet nobody cancelled it`);
      }
    }
    await observer.checkSteps(rig.store, jobs);
    if (observer.violations.length > 0) raise('at the end');
  } finally {
    stats.events = observer.events;
    stats.invocations = observer.invocations.length;
    stats.effects = observer.effects;
    stats.repeatedEffects = observer.repeatedEffects;
    stats.stalled = observer.stalled;
    stats.timeouts = observer.timeouts;
    stats.fakeMs = rig.clock.now() - startMs;
    await rig.close();
  }
  return { stats, digest: digest.toString(16) };
}
