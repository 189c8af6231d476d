/**
 * Random workloads for the model check of the core: operations over fake
 * time (submits, cancels, dead-letter retries, clock advances, crashes), as
 * plain data, so fast-check can shrink a failing one and print it.
 */
import fc from 'fast-check';

/** What one attempt of a job does, in order: its steps, then some work, then how it ends. */
export type AttemptPlan = {
  /** `ctx.step('s0')`, `ctx.step('s1')`: each step's function is a counted side effect. */
  readonly steps: 0 | 1 | 2;
  /** Fake time each step's function takes (the window in which a crash or timeout repeats it). */
  readonly stepMs: number;
  /** `ctx.sleep` for this long after the steps (0: none): the attempt ends and the job runs again then. */
  readonly sleepMs: number;
  /** Fake time the handler takes after its steps. */
  readonly workMs: number;
  /**
   * `ok` returns; `transient` throws a plain `Error`; `permanent` throws
   * `JobError.nonRetryable`; `hang` ignores its signal and sleeps for
   * `HANG_MS` (every job that may hang has a timeout or a deadline), then
   * tries one more step, which a given-up attempt must refuse.
   */
  readonly end: 'ok' | 'transient' | 'permanent' | 'hang';
};

/** How long a hanging handler sleeps: longer than any timeout or deadline a workload sets. */
export const HANG_MS = 30_000;

/** A dependency on a job submitted before (`earlier`, the n-th known job) or on another job of the same batch (`batch`). */
export interface DepRef {
  readonly on: 'earlier' | 'batch';
  readonly index: number;
}

export type DependencyPolicy = 'fail' | 'cancel' | 'continue';

export interface JobSpec {
  /** The plan of attempt n is `plan[n - 1]`, the last one for later attempts. */
  readonly plan: readonly AttemptPlan[];
  /** With an idempotency key, the payload is `IDEM_PLANS[variant]`: same key and variant, same payload. */
  readonly idem: { readonly key: string; readonly variant: 0 | 1 } | null;
  /** Ordering key. */
  readonly key: string | null;
  /** Fairness key: in `default`, `t0` starts two jobs a turn and each key runs one job at a time. */
  readonly fairness: string | null;
  readonly deps: readonly DepRef[];
  /** The job's place in its batch's dependency order: a batch dependency goes to a job of lower rank. */
  readonly rank: number;
  readonly onDependencyFailure: DependencyPolicy;
  readonly priority: 0 | 1 | 2 | 3 | 4;
  readonly queue: 'default' | 'bulk';
  readonly delayMs: number | null;
  /** Relative to the submit: `deadlineAtMs = now + deadlineMs`. */
  readonly deadlineMs: number | null;
  readonly timeoutMs: number | null;
  readonly maxAttempts: 1 | 2 | 3;
  readonly onTimeout: 'retry' | 'escalate' | 'fail';
}

/** Which job a cancel or retry picks: among all known jobs, the unfinished ones, or the failed ones (n-th, modulo their count). */
export interface Target {
  readonly among: 'any' | 'live' | 'failed';
  readonly index: number;
}

export type Action =
  | { readonly kind: 'submit'; readonly jobs: readonly JobSpec[] }
  | { readonly kind: 'cancel'; readonly target: Target }
  | { readonly kind: 'retry'; readonly target: Target };

/**
 * `act`: calls made together, without awaiting in between (they land in one
 * tick: submits first, in call order, then cancels and retries); then the
 * scheduler settles. `advance`: the fake clock moves. `crash`:
 * `rig.crashAndRestart()`.
 */
export type Op = { readonly kind: 'act'; readonly actions: readonly Action[] } | { readonly kind: 'advance'; readonly ms: number } | { readonly kind: 'crash' };

export interface Workload {
  readonly ops: readonly Op[];
}

export const QUEUES = { default: { concurrency: 2, keys: { concurrency: 1, weights: { t0: 2 } } }, bulk: { concurrency: 1 } } as const;
export const LEASE_MS = 400;
export const IDEMPOTENCY_TTL_MS = 3_000;
export const ORDERING_KEYS = ['k0', 'k1', 'k2'] as const;
export const FAIRNESS_KEYS = ['t0', 't1', 't2'] as const;
export const IDEMPOTENCY_KEYS = ['i0', 'i1'] as const;

/** Payloads of jobs with an idempotency key, by variant: a step and a retry, or a plain success. */
export const IDEM_PLANS: readonly (readonly AttemptPlan[])[] = [
  [
    { steps: 1, stepMs: 50, sleepMs: 0, workMs: 100, end: 'transient' },
    { steps: 1, stepMs: 50, sleepMs: 0, workMs: 100, end: 'ok' },
  ],
  [{ steps: 0, stepMs: 0, sleepMs: 0, workMs: 200, end: 'ok' }],
];

/** The payload every job carries: its plan. */
export type Payload = { readonly plan: readonly AttemptPlan[] };

function weighted<T>(...choices: ReadonlyArray<readonly [number, fc.Arbitrary<T>]>): fc.Arbitrary<T> {
  return fc.oneof(...choices.map(([weight, arbitrary]) => ({ weight, arbitrary })));
}

const attemptPlan: fc.Arbitrary<AttemptPlan> = fc.record({
  steps: weighted<0 | 1 | 2>([3, fc.constant(0)], [2, fc.constant(1)], [1, fc.constant(2)]),
  stepMs: fc.constantFrom(0, 50, 300, 700),
  sleepMs: weighted<number>([4, fc.constant(0)], [1, fc.constantFrom(100, 900)]),
  workMs: fc.constantFrom(0, 20, 150, 500, 1_200),
  end: weighted<AttemptPlan['end']>([5, fc.constant('ok')], [2, fc.constant('transient')], [1, fc.constant('permanent')], [1, fc.constant('hang')]),
});

/** `null` (what shrinking goes to) or a value, in the ratio `none : some`. */
const orNull = <T>(arbitrary: fc.Arbitrary<T>, none: number, some: number): fc.Arbitrary<T | null> =>
  weighted<T | null>([none, fc.constant(null)], [some, arbitrary]);

const jobSpec: fc.Arbitrary<JobSpec> = fc
  .record({
    plan: fc.array(attemptPlan, { minLength: 1, maxLength: 3 }),
    idem: orNull(fc.record({ key: fc.constantFrom(...IDEMPOTENCY_KEYS), variant: fc.constantFrom<0 | 1>(0, 1) }), 2, 1),
    key: orNull(fc.constantFrom(...ORDERING_KEYS), 1, 1),
    fairness: orNull(fc.constantFrom(...FAIRNESS_KEYS), 1, 1),
    deps: fc.array(fc.record({ on: fc.constantFrom<DepRef['on']>('earlier', 'batch'), index: fc.nat(30) }), { maxLength: 2 }),
    rank: fc.nat(5),
    onDependencyFailure: fc.constantFrom<DependencyPolicy>('fail', 'cancel', 'continue'),
    priority: fc.constantFrom<JobSpec['priority']>(2, 0, 1, 3, 4),
    queue: weighted<JobSpec['queue']>([3, fc.constant('default')], [1, fc.constant('bulk')]),
    delayMs: orNull(fc.constantFrom(100, 600, 2_000), 3, 1),
    deadlineMs: orNull(fc.constantFrom(300, 1_500, 5_000), 3, 1),
    timeoutMs: orNull(fc.constantFrom(100, 600, 1_500), 2, 1),
    maxAttempts: fc.constantFrom<JobSpec['maxAttempts']>(2, 1, 3),
    onTimeout: fc.constantFrom<JobSpec['onTimeout']>('retry', 'escalate', 'fail'),
  })
  .map((spec): JobSpec => {
    // An idempotent job's payload is fixed by its variant, so that the same key meets the same or another payload.
    const plan = spec.idem === null ? spec.plan : IDEM_PLANS[spec.idem.variant]!;
    // A handler that hangs needs something that ends its attempt.
    const hangs = plan.some((p) => p.end === 'hang');
    const timeoutMs = hangs && spec.timeoutMs === null && spec.deadlineMs === null ? 600 : spec.timeoutMs;
    return { ...spec, plan, timeoutMs };
  });

const target: fc.Arbitrary<Target> = fc.record({ among: fc.constantFrom<Target['among']>('any', 'live', 'failed'), index: fc.nat(30) });

function actions(retries: boolean): fc.Arbitrary<Action> {
  const choices: Array<readonly [number, fc.Arbitrary<Action>]> = [
    [6, fc.record({ kind: fc.constant('submit' as const), jobs: fc.array(jobSpec, { minLength: 1, maxLength: 1 }) })],
    [3, fc.record({ kind: fc.constant('submit' as const), jobs: fc.array(jobSpec, { minLength: 2, maxLength: 4 }) })],
    [2, fc.record({ kind: fc.constant('cancel' as const), target })],
  ];
  if (retries) choices.push([3, fc.record({ kind: fc.constant('retry' as const), target })]);
  return weighted<Action>(...choices);
}

function ops(retries: boolean): fc.Arbitrary<Op> {
  const action = actions(retries);
  return weighted<Op>(
    [8, fc.record({ kind: fc.constant('act' as const), actions: fc.array(action, { minLength: 1, maxLength: 1 }) })],
    [2, fc.record({ kind: fc.constant('act' as const), actions: fc.array(action, { minLength: 2, maxLength: 3 }) })],
    [6, fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.constantFrom(50, 200, 400, 1_000, 2_500), fc.integer({ min: 1, max: 4_000 })) })],
    [1, fc.constant({ kind: 'crash' as const })],
  );
}

/** A random workload: up to `maxOps` operations; without dead-letter `retry()`s if `retries` is false. */
export function workload(options: { readonly maxOps?: number; readonly retries?: boolean } = {}): fc.Arbitrary<Workload> {
  return fc.array(ops(options.retries ?? true), { minLength: 1, maxLength: options.maxOps ?? 40, size: 'max' }).map((o) => withDescription({ ops: o }));
}

/** Attaches `describeWorkload` as what fast-check prints for the value. */
function withDescription(w: Workload): Workload {
  Object.defineProperty(w, fc.toStringMethod, { value: () => describeWorkload(w), enumerable: false });
  return w;
}

/**
 * Batch order as the scheduler admits a `submitAll`: each job after the jobs
 * of the batch it depends on (depth first, in input order otherwise).
 */
export function unitOrder(batchDeps: ReadonlyArray<readonly number[]>): number[] {
  const order: number[] = [];
  const placed = new Set<number>();
  const place = (i: number, depth: number): void => {
    if (placed.has(i) || depth > batchDeps.length) return;
    for (const j of batchDeps[i]!) place(j, depth + 1);
    placed.add(i);
    order.push(i);
  };
  for (let i = 0; i < batchDeps.length; i++) place(i, 0);
  return order;
}

/** The batch jobs job `i` depends on: only those of lower rank (ties by position), so a batch is acyclic. */
export function batchDepsOf(jobs: readonly JobSpec[]): number[][] {
  const before = (a: number, b: number) => jobs[a]!.rank < jobs[b]!.rank || (jobs[a]!.rank === jobs[b]!.rank && a < b);
  return jobs.map((job, i) => {
    const out: number[] = [];
    for (const dep of job.deps) {
      if (dep.on !== 'batch' || jobs.length < 2) continue;
      const j = dep.index % jobs.length;
      if (j !== i && before(j, i) && !out.includes(j)) out.push(j);
    }
    return out;
  });
}

// ---- printing ---------------------------------------------------------------

function describePlan(p: AttemptPlan): string {
  const parts: string[] = [];
  if (p.steps > 0) parts.push(`${p.steps} step${p.steps > 1 ? 's' : ''}${p.stepMs > 0 ? ` of ${p.stepMs} ms` : ''}`);
  if (p.sleepMs > 0) parts.push(`sleep ${p.sleepMs} ms`);
  if (p.workMs > 0) parts.push(`${p.workMs} ms`);
  parts.push(p.end);
  return parts.join(' + ');
}

export function describeJob(j: JobSpec, i: number): string {
  const bits = [`#${i} plan [${j.plan.map(describePlan).join(' | ')}]`];
  if (j.idem !== null) bits.push(`idem ${j.idem.key}/v${j.idem.variant}`);
  if (j.key !== null) bits.push(`key ${j.key}`);
  if (j.fairness !== null) bits.push(`fair ${j.fairness}`);
  if (j.deps.length > 0) {
    bits.push(`deps [${j.deps.map((d) => `${d.on} ${d.index}`).join(', ')}]${j.onDependencyFailure === 'fail' ? '' : ` (${j.onDependencyFailure})`}`);
    bits.push(`rank ${j.rank}`);
  }
  if (j.priority !== 2) bits.push(`priority ${j.priority}`);
  if (j.queue !== 'default') bits.push(`queue ${j.queue}`);
  if (j.delayMs !== null) bits.push(`delay ${j.delayMs}`);
  if (j.deadlineMs !== null) bits.push(`deadline +${j.deadlineMs}`);
  if (j.timeoutMs !== null) bits.push(`timeout ${j.timeoutMs}${j.onTimeout === 'retry' ? '' : ` (${j.onTimeout})`}`);
  if (j.maxAttempts !== 2) bits.push(`attempts ${j.maxAttempts}`);
  return bits.join(', ');
}

function describeAction(a: Action): string {
  switch (a.kind) {
    case 'submit':
      return a.jobs.length === 1 ? `submit ${describeJob(a.jobs[0]!, 0)}` : `submitAll [\n      ${a.jobs.map(describeJob).join(';\n      ')}\n    ]`;
    case 'cancel':
    case 'retry':
      return `${a.kind} ${a.target.among} #${a.target.index}`;
  }
}

/** A workload in plain words, one operation a line. */
export function describeWorkload(w: Workload): string {
  const lines = w.ops.map((o, i) => {
    const text =
      o.kind === 'advance'
        ? `advance ${o.ms} ms`
        : o.kind === 'crash'
          ? 'crash and restart'
          : o.actions.length === 1
            ? describeAction(o.actions[0]!)
            : `together: ${o.actions.map(describeAction).join(' & ')}`;
    return `  ${String(i).padStart(2)}. ${text}`;
  });
  return `workload (${w.ops.length} ops):\n${lines.join('\n')}`;
}
