/**
 * The chaos suites' common ground: seeded dice, the settings every runtime
 * reads, and the exactly-once ledger check each run ends with.
 *
 * Handlers record what they do in a ledger kept apart from the job store
 * (another IndexedDB database, another Durable Object, the edge's own
 * table): one `run` entry when an attempt starts, one `effect` entry each
 * time a step's function runs, with the step's idempotency key. The check
 * then holds the system to what the README promises:
 * - every accepted job is one job (a resubmit under its idempotency key
 *   made no second one), finished, in the state it was designed to end in;
 * - each of its steps took effect exactly once, counted as a downstream
 *   that deduplicates by the step's `idempotencyKey` would count it;
 * - a step's function ran again only in a later attempt (never twice in
 *   one), as `ctx.step` says: again only if its attempt ended before its
 *   result was stored; such repeats are counted and reported, not hidden;
 * - no run made an effect after a newer run of the same job had started
 *   (two live runs of one job), and no handler found another run live.
 * Pure TypeScript: it runs in Chromium, workerd and Node alike.
 */

/** mulberry32: small, seeded, good enough for dice. */
export function dice(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A round's seed from the run's: rounds replay one by one. */
export function roundSeed(seed: number, round: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(round + 1, 0xc2b2ae35)) >>> 0;
}

/** An integer from `min` to `max`, both included. */
export function between(roll: () => number, min: number, max: number): number {
  return min + Math.floor(roll() * (max - min + 1));
}

export interface ChaosSettings {
  /** Rounds per runtime: 1 in `npm test`, more under `npm run chaos`. */
  readonly rounds: number;
  /** The run's seed: `BATON_CHAOS_SEED` replays one. */
  readonly seed: number;
  /** The long run scales jobs per round too. */
  readonly long: boolean;
}

/**
 * Reads `BATON_CHAOS_ROUNDS` and `BATON_CHAOS_SEED` (Node, in the vitest
 * configs, which provide the result to their projects as `chaos`). A seed
 * it draws is written back to `env`, so every project of one run shares it.
 */
export function chaosSettings(env: Record<string, string | undefined>): ChaosSettings {
  const rounds = Number(env.BATON_CHAOS_ROUNDS ?? 1);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`Expected \`BATON_CHAOS_ROUNDS\` to be an integer from 1 and up, got ${env.BATON_CHAOS_ROUNDS}`);
  env.BATON_CHAOS_SEED ??= String(Math.floor(Math.random() * 2 ** 31));
  const seed = Number(env.BATON_CHAOS_SEED);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`Expected \`BATON_CHAOS_SEED\` to be a non-negative integer, got ${env.BATON_CHAOS_SEED}`);
  return { rounds, seed, long: rounds > 1 };
}

/** What a handler wrote when an attempt started. */
export interface RunEntry {
  readonly kind: 'run';
  readonly logical: string;
  readonly jobId: string;
  readonly attempt: number;
  /** The process that ran it: a worker's or an object instance's id. */
  readonly runner: string;
  /** When it started (a clock all runners of the runtime share). */
  readonly atMs: number;
}

/** What a step's function wrote: the effect, keyed by the step's idempotency key. */
export interface EffectEntry {
  readonly kind: 'effect';
  readonly logical: string;
  readonly jobId: string;
  readonly step: string;
  readonly idempotencyKey: string;
  readonly attempt: number;
  readonly runner: string;
  /** When the step's function began (the clock of `RunEntry.atMs`). */
  readonly beganAtMs: number;
}

/** A handler that found another run of its job live. */
export interface OverlapEntry {
  readonly kind: 'overlap';
  readonly logical: string;
  readonly jobId: string;
  readonly attempt: number;
  readonly runner: string;
}

export type LedgerEntry = RunEntry | EffectEntry | OverlapEntry;

/** The part of a job record the check reads. */
export interface FinalJob {
  readonly id: string;
  readonly state: string;
  readonly attempt: number;
  /** The logical job it stands for (from its payload). */
  readonly logical: string;
}

export interface LedgerCheck {
  /** Logical jobs whose submit was answered OK (or whose outbox entry was acknowledged). */
  readonly accepted: readonly string[];
  /**
   * Logical jobs submitted (once, without an idempotency key of their own)
   * whose answer never came: each may be no job or one (stored before the
   * answer was lost); one that exists is held to the same promises.
   */
  readonly unanswered?: readonly string[];
  /** Every job the store holds at the end. */
  readonly jobs: readonly FinalJob[];
  /** The ledger, in the order it was written. */
  readonly entries: readonly LedgerEntry[];
  /** The steps each job must have taken, in effect. */
  readonly steps: readonly string[];
  /** The state each logical job was designed to end in (`succeeded` unless said otherwise). */
  readonly expectedState?: (logical: string) => string;
  /**
   * The ordering key each logical job was submitted with (null: none). Jobs
   * of one key run one at a time, in the order they were admitted (their
   * ids are time-sortable): every ledger entry of a key's job comes after
   * every entry of the job admitted before it.
   */
  readonly orderingKey?: (logical: string) => string | null;
}

export interface LedgerReport {
  readonly accepted: number;
  /** Submits never answered whose job was stored all the same (held to the same promises). */
  readonly storedUnanswered: number;
  /** Accepted (and stored unanswered) jobs that ended as designed. */
  readonly finished: number;
  /** Step effects, counted once per idempotency key. */
  readonly effects: number;
  /** Step functions run, every time. */
  readonly executions: number;
  /** Step functions run again in a later attempt (what `ctx.step` allows; the idempotency key absorbs them). */
  readonly repeatedSteps: number;
  /** Attempts started, every time. */
  readonly runs: number;
  readonly lost: number;
  readonly duplicates: number;
  /** Every broken promise, one line each: empty when the run kept them all. */
  readonly violations: readonly string[];
}

/** Holds a run to its promises; see the module comment. Returns the figures and every violation found. */
export function checkLedger(check: LedgerCheck): LedgerReport {
  const violations: string[] = [];
  const expected = check.expectedState ?? (() => 'succeeded');
  const jobsByLogical = new Map<string, FinalJob[]>();
  for (const job of check.jobs) jobsByLogical.set(job.logical, [...(jobsByLogical.get(job.logical) ?? []), job]);
  const entriesByJob = new Map<string, LedgerEntry[]>();
  for (const entry of check.entries) entriesByJob.set(entry.jobId, [...(entriesByJob.get(entry.jobId) ?? []), entry]);

  let lost = 0;
  let duplicates = 0;
  let finished = 0;
  const unanswered = new Set(check.unanswered ?? []);
  const stored = [...unanswered].filter((l) => (jobsByLogical.get(l)?.length ?? 0) > 0);
  for (const logical of new Set([...check.accepted, ...stored])) {
    const jobs = jobsByLogical.get(logical) ?? [];
    if (jobs.length === 0) {
      lost++;
      violations.push(`lost: ${logical} was accepted and no job holds it`);
      continue;
    }
    if (jobs.length > 1) {
      duplicates += jobs.length - 1;
      violations.push(`duplicated: ${logical} is ${jobs.length} jobs (${jobs.map((j) => j.id).join(', ')})`);
    }
    for (const job of jobs) {
      if (job.state === expected(logical)) finished++;
      else if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled') {
        violations.push(`wrong end: ${logical} (${job.id}) ended ${job.state}, designed to end ${expected(logical)}`);
      } else {
        lost++;
        violations.push(`lost: ${logical} (${job.id}) never finished: still ${job.state}`);
      }
    }
  }

  // Effects: once per idempotency key, for every step of every job of an accepted logical job (and of no other job).
  let effects = 0;
  let executions = 0;
  let repeatedSteps = 0;
  let runs = 0;
  const acceptedSet = new Set([...check.accepted, ...stored]);
  const effectKeysByLogical = new Map<string, Map<string, Set<string>>>();
  for (const entry of check.entries) {
    if (entry.kind === 'run') runs++;
    if (entry.kind === 'overlap')
      violations.push(`two live runs: ${entry.logical} (${entry.jobId}) attempt ${entry.attempt} started while another run held it`);
    if (entry.kind !== 'effect') continue;
    executions++;
    const byStep = effectKeysByLogical.get(entry.logical) ?? new Map<string, Set<string>>();
    effectKeysByLogical.set(entry.logical, byStep);
    const keys = byStep.get(entry.step) ?? new Set<string>();
    byStep.set(entry.step, keys);
    keys.add(entry.idempotencyKey);
  }
  for (const [logical, byStep] of effectKeysByLogical) {
    if (!acceptedSet.has(logical)) violations.push(`effect without an accepted job: ${logical}`);
    for (const [step, keys] of byStep) {
      effects += keys.size;
      if (keys.size > 1) violations.push(`effect twice: ${logical} step ${step} took effect ${keys.size} times (${[...keys].join(', ')})`);
    }
  }
  for (const logical of acceptedSet) {
    const jobs = jobsByLogical.get(logical) ?? [];
    if (!jobs.some((j) => j.state === 'succeeded') || expected(logical) !== 'succeeded') continue;
    for (const step of check.steps) {
      if ((effectKeysByLogical.get(logical)?.get(step)?.size ?? 0) === 0) violations.push(`effect missing: ${logical} succeeded without step ${step}`);
    }
  }

  // Per job: each attempt runs once; a step runs again only in a later attempt; no step of a run
  // begins after a newer run of its job began (that would be two live runs acting at once).
  for (const [jobId, entries] of entriesByJob) {
    const final = check.jobs.find((j) => j.id === jobId);
    const started = entries.filter((e): e is RunEntry => e.kind === 'run');
    const attempts = new Set<number>();
    for (const run of started) {
      if (attempts.has(run.attempt)) violations.push(`attempt started twice: ${run.logical} (${jobId}) attempt ${run.attempt}, again on ${run.runner}`);
      attempts.add(run.attempt);
      if (final !== undefined && run.attempt > final.attempt) {
        violations.push(`phantom attempt: ${run.logical} (${jobId}) ran attempt ${run.attempt}; its record says ${final.attempt}`);
      }
    }
    const last = new Map<string, number>(); // step → attempt of its last execution
    for (const entry of entries) {
      if (entry.kind !== 'effect') continue;
      const newer = started.find((r) => r.attempt > entry.attempt && r.atMs < entry.beganAtMs);
      if (newer !== undefined) {
        violations.push(
          `stale run acted: ${entry.logical} (${jobId}) began step ${entry.step} for attempt ${entry.attempt} on ${entry.runner} ` +
            `${(entry.beganAtMs - newer.atMs).toFixed(1)} ms after attempt ${newer.attempt} began on ${newer.runner}`,
        );
      }
      const before = last.get(entry.step);
      if (before !== undefined) {
        repeatedSteps++;
        if (entry.attempt <= before)
          violations.push(`step run twice in one attempt: ${entry.logical} (${jobId}) step ${entry.step} in attempt ${entry.attempt}`);
      }
      last.set(entry.step, Math.max(before ?? 0, entry.attempt));
    }
  }

  if (check.orderingKey !== undefined) {
    const byKey = new Map<string, FinalJob[]>();
    for (const job of check.jobs) {
      const key = check.orderingKey(job.logical);
      if (key !== null && acceptedSet.has(job.logical)) byKey.set(key, [...(byKey.get(key) ?? []), job]);
    }
    const positions = new Map<string, number[]>();
    check.entries.forEach((entry, i) => {
      positions.set(entry.jobId, [...(positions.get(entry.jobId) ?? []), i]);
    });
    for (const [key, jobs] of byKey) {
      jobs.sort((a, b) => (a.id < b.id ? -1 : 1));
      for (let i = 1; i < jobs.length; i++) {
        const before = jobs[i - 1]!;
        const after = jobs[i]!;
        const last = Math.max(-1, ...(positions.get(before.id) ?? []));
        const first = Math.min(Number.POSITIVE_INFINITY, ...(positions.get(after.id) ?? []));
        if (first < last)
          violations.push(`key ${key} out of turn: ${after.logical} (${after.id}) ran before ${before.logical} (${before.id}), admitted first, was done`);
      }
    }
  }

  return {
    accepted: new Set(check.accepted).size,
    storedUnanswered: stored.length,
    finished,
    effects,
    executions,
    repeatedSteps,
    runs,
    lost,
    duplicates,
    violations,
  };
}

/** Counts by kind, as a run reports the faults it injected. */
export class Tally {
  private readonly counts = new Map<string, number>();

  add(kind: string, n = 1): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + n);
  }

  get(kind: string): number {
    return this.counts.get(kind) ?? 0;
  }

  total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  merge(other: Tally): void {
    for (const [kind, n] of other.counts) this.add(kind, n);
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}

/** One line per run: what was done to it, and what it kept. */
export function summary(runtime: string, settings: ChaosSettings, faults: Tally, report: LedgerReport, wallMs: number, rounds = settings.rounds): string {
  const f = Object.entries(faults.toJSON())
    .map(([k, n]) => `${k}=${n}`)
    .join(' ');
  const verdict = report.violations.length === 0 ? 'every fault survived' : `${report.violations.length} PROMISES BROKEN`;
  return (
    `[chaos:${runtime}] seed=${settings.seed} rounds=${rounds} wall=${(wallMs / 1000).toFixed(1)}s | faults ${faults.total()}: ${f} | ` +
    `jobs accepted=${report.accepted} stored-unanswered=${report.storedUnanswered} finished=${report.finished} runs=${report.runs} | ` +
    `effects=${report.effects} executions=${report.executions} repeated-steps=${report.repeatedSteps} | ` +
    `duplicates=${report.duplicates} lost=${report.lost} | ${verdict} (replay: BATON_CHAOS_SEED=${settings.seed} BATON_CHAOS_ROUNDS=${settings.rounds})`
  );
}

/** Adds one round's report to the run's. */
export function addReports(a: LedgerReport, b: LedgerReport): LedgerReport {
  return {
    accepted: a.accepted + b.accepted,
    storedUnanswered: a.storedUnanswered + b.storedUnanswered,
    finished: a.finished + b.finished,
    effects: a.effects + b.effects,
    executions: a.executions + b.executions,
    repeatedSteps: a.repeatedSteps + b.repeatedSteps,
    runs: a.runs + b.runs,
    lost: a.lost + b.lost,
    duplicates: a.duplicates + b.duplicates,
    violations: [...a.violations, ...b.violations],
  };
}

export const EMPTY_REPORT: LedgerReport = {
  accepted: 0,
  storedUnanswered: 0,
  finished: 0,
  effects: 0,
  executions: 0,
  repeatedSteps: 0,
  runs: 0,
  lost: 0,
  duplicates: 0,
  violations: [],
};

declare module 'vitest' {
  export interface ProvidedContext {
    chaos: ChaosSettings;
  }
}
