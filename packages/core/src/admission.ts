import type { SubmitResult } from './api.ts';
import { CauseCode } from './causes.ts';
import type { TickRoom } from './backpressure.ts';
import { dedupeRecordKey, isPending, type Replacement } from './dedupe.ts';
import { IdempotencyConflictError, ValidationError } from './errors.ts';
import { correlationId, EventName, type SchedulerEvent } from './events.ts';
import type { Effects } from './effects.ts';
import { assertAcyclic } from './graph.ts';
import { keyPredecessor, setKeyTail, unfinishedFrom } from './key-chain.ts';
import { LIMITS } from './limits.ts';
import { canonicalJson, hash53 } from './json.ts';
import { type Actor, JobState, type Cause, DedupeMode, isTerminal, type JobInput, type JobRecord } from './job.ts';
import { type ResolvedInput, resolveInput } from './input.ts';
import type { Handlers, ResolvedOptions } from './options.ts';
import { evaluateBlockers } from './blockers.ts';
import { draft, release, terminalPatch, transition } from './records.ts';
import type { IdempotencyRecord } from './store.ts';
import type { Tick } from './tick.ts';
import type { TickContext } from './tick-context.ts';

/**
 * Admission: a submit is checked and shaped when it is made (`prepareUnit`,
 * synchronous: bad input throws before anything is queued), then admitted in
 * a tick (`admitUnit`: idempotency, dependencies, ordering keys, first
 * state), all or nothing per unit.
 */
export interface SubmitUnit {
  readonly inputs: readonly ResolvedInput[];
  readonly ids: readonly string[];
  /** Input indexes, dependencies first. */
  readonly order: readonly number[];
  /** Who submitted it, for the audit trail. */
  readonly actor: Actor | null;
  readonly resolve: (results: SubmitResult[]) => void;
  readonly reject: (error: unknown) => void;
}

const SINGLE: readonly number[] = [0];
const NO_IDS: readonly string[] = [];
const CLEAR = { kind: 'clear' } as const;
const SUBMITTED: Cause = { code: CauseCode.submitted };

export function prepareUnit(
  inputs: ReadonlyArray<JobInput<string, unknown>>,
  handlers: Handlers,
  options: ResolvedOptions,
  now: number,
  nextId: (nowMs: number) => string,
): Omit<SubmitUnit, 'resolve' | 'reject' | 'actor'> {
  if (!Array.isArray(inputs) || inputs.length === 0 || inputs.length > LIMITS.batch) {
    throw new ValidationError(
      'jobs',
      `Expected \`jobs\` to be an array of 1 to ${LIMITS.batch} jobs, got ${Array.isArray(inputs) ? `${inputs.length} jobs` : typeof inputs}`,
    );
  }
  let resolved = inputs.map((input, i) => resolveInput(input, handlers, options, now, inputs.length === 1 ? 'job' : `jobs[${i}]`));
  // A job submitted without a trace context takes the caller's (the submit's span, with instrumentation).
  const ambient = options.instrumentation?.currentTrace === undefined ? undefined : options.instrumentation.currentTrace();
  if (ambient !== undefined) resolved = resolved.map((input) => (input.trace === null ? { ...input, trace: ambient } : input));
  const refs = new Map<string, number>();
  resolved.forEach((input, i) => {
    if (input.ref === null) return;
    if (refs.has(input.ref)) throw new ValidationError(`jobs[${i}].ref`, `\`ref\` ${JSON.stringify(input.ref)} is used twice`);
    refs.set(input.ref, i);
  });
  resolved.forEach((input, i) => {
    if (input.deadlineAtMs !== null && input.deadlineAtMs <= now) {
      throw new ValidationError(`jobs[${i}].deadlineAtMs`, `\`deadlineAtMs\` ${input.deadlineAtMs} has already passed (now ${now})`);
    }
  });
  const ids = resolved.map(() => nextId(now));
  if (resolved.length === 1 && resolved[0]!.dependsOn.length === 0) return { inputs: resolved, ids, order: SINGLE };
  const graph = new Map<string, readonly string[]>();
  resolved.forEach((input, i) => {
    graph.set(input.ref ?? ids[i]!, input.dependsOn);
  });
  assertAcyclic(graph);
  // Dependencies first, so a job sees the state its in-batch dependencies start in.
  const order: number[] = [];
  const placed = new Set<number>();
  const place = (i: number, depth: number): void => {
    if (placed.has(i) || depth > resolved.length) return;
    for (const dep of resolved[i]!.dependsOn) {
      const j = refs.get(dep);
      if (j !== undefined) place(j, depth + 1);
    }
    placed.add(i);
    order.push(i);
  };
  resolved.forEach((_, i) => {
    place(i, 0);
  });
  return { inputs: resolved, ids, order };
}

/**
 * Admits one unit (a `submitAll`) whole or not at all: idempotency and
 * dedupe keys, graph order, key chains, backpressure. Jobs a debounced
 * submit replaces go to `replaced`, for the tick to cancel once every unit
 * is in.
 */
export async function admitUnit(
  unit: SubmitUnit,
  tick: Tick,
  now: number,
  fx: Effects,
  room: TickRoom | null = null,
  replaced: Replacement[] = [],
): Promise<void> {
  const results: SubmitResult[] = new Array(unit.inputs.length);
  const records: Array<{ record: JobRecord; cause: Cause }> = [];
  // Only graphs, keys and idempotency need these: most units are one plain job.
  let keys: Map<string, IdempotencyRecord> | undefined;
  let created: Map<string, JobRecord> | undefined;
  let refs: Map<string, JobRecord> | undefined;
  let keyTails: Map<string, JobRecord> | undefined;
  let deduplicated: SchedulerEvent[] | undefined;
  let dedupes: Map<string, IdempotencyRecord> | undefined;
  let replacing: Replacement[] | undefined;
  const inUnit = new Map<string, JobRecord>();
  const submitted: Cause = unit.actor === null ? SUBMITTED : { ...SUBMITTED, actor: unit.actor };
  try {
    for (const i of unit.order) {
      const input = unit.inputs[i]!;
      /** The submit is answered with a job that exists, announced as deduplicated. */
      const answerWith = (job: JobRecord, idempotencyKey: string | null, dedupeKey: string | null): void => {
        results[i] = { job, deduplicated: true };
        if (input.ref !== null) {
          refs ??= new Map();
          refs.set(input.ref, job);
        }
        deduplicated ??= [];
        deduplicated.push({
          name: EventName.deduplicated,
          jobId: job.id,
          type: job.type,
          queue: job.queue,
          atMs: now,
          attempt: job.attempt,
          correlationId: correlationId(job),
          idempotencyKey,
          dedupeKey,
        });
      };
      if (input.idempotencyKey !== null) {
        keys ??= new Map();
        created ??= new Map();
        const fingerprint = hash53(`${input.type}\u0000${canonicalJson(input.payload)}`);
        const existing = keys.get(input.idempotencyKey) ?? (await tick.idempotency(input.idempotencyKey));
        const job = existing === undefined || existing.expiresAtMs <= now ? undefined : (created.get(existing.jobId) ?? (await tick.get(existing.jobId)));
        if (existing !== undefined && job !== undefined) {
          if (existing.fingerprint !== fingerprint) throw new IdempotencyConflictError(input.idempotencyKey, existing.jobId);
          answerWith(job, input.idempotencyKey, null);
          continue;
        }
        keys.set(input.idempotencyKey, { key: input.idempotencyKey, jobId: unit.ids[i]!, fingerprint, expiresAtMs: now + input.idempotencyTtlMs });
      }

      if (input.dedupe !== null) {
        dedupes ??= new Map();
        const name = dedupeRecordKey(input.dedupe.key);
        const held = dedupes.get(name) ?? (await tick.idempotency(name));
        const pending = held === undefined ? undefined : (inUnit.get(held.jobId) ?? (await tick.get(held.jobId)));
        if (pending !== undefined && isPending(pending)) {
          if (input.dedupe.mode === DedupeMode.throttle) {
            answerWith(pending, null, input.dedupe.key);
            continue;
          }
          replacing ??= [];
          replacing.push({ id: pending.id, by: unit.ids[i]! });
        }
        dedupes.set(name, { key: name, jobId: unit.ids[i]!, fingerprint: '', expiresAtMs: now + input.idempotencyTtlMs });
      }

      let dependsOn: readonly string[] = NO_IDS;
      const deps: Array<JobRecord | undefined> = [];
      if (input.dependsOn.length > 0) {
        const ids: string[] = [];
        for (const [d, dep] of input.dependsOn.entries()) {
          const record = refs?.get(dep) ?? (await tick.get(dep));
          if (record === undefined) {
            throw new ValidationError(
              `${unit.inputs.length === 1 ? 'job' : `jobs[${i}]`}.dependsOn[${d}]`,
              `Unknown dependency ${JSON.stringify(dep)}: no such job id or ref`,
            );
          }
          ids.push(record.id);
          deps.push(record);
        }
        dependsOn = ids;
      }
      let predecessor: JobRecord | undefined;
      if (input.key !== null) {
        const local = keyTails?.get(input.key);
        predecessor =
          local !== undefined ? await unfinishedFrom(async (id) => inUnit.get(id) ?? (await tick.get(id)), local) : await keyPredecessor(tick, input.key);
      }

      const fresh = draft(unit.ids[i]!, input, dependsOn, predecessor?.id ?? null, now);
      const verdict = dependsOn.length === 0 && predecessor === undefined ? CLEAR : evaluateBlockers(fresh, deps, predecessor);
      const record =
        verdict.kind === 'blocked'
          ? transition(fresh, JobState.waiting, now, submitted)
          : verdict.kind === 'doomed'
            ? transition(fresh, verdict.to, now, verdict.cause, terminalPatch(now))
            : release(fresh, now, submitted);
      records.push({ record, cause: verdict.kind === 'doomed' ? verdict.cause : submitted });
      results[i] = { job: record, deduplicated: false };
      created?.set(record.id, record);
      inUnit.set(record.id, record);
      if (input.ref !== null) {
        refs ??= new Map();
        refs.set(input.ref, record);
      }
      if (input.key !== null) {
        keyTails ??= new Map();
        keyTails.set(input.key, record);
      }
    }
  } catch (error) {
    unit.reject(error);
    return;
  }
  if (room !== null) {
    // All or nothing: a unit that does not fit is refused whole (a deduplicated job takes no room).
    // A job that replaces a pending one takes its room.
    const replacers = new Set(replacing?.map((r) => r.by));
    const full = room.take(records.filter(({ record }) => !isTerminal(record.state) && !replacers.has(record.id)).map(({ record }) => record));
    if (full !== null) {
      unit.reject(full);
      return;
    }
  }
  for (const { record, cause } of records) {
    tick.put(record, null);
    fx.transitions.push({ record, from: null, cause });
  }
  if (keys !== undefined) for (const key of keys.values()) tick.putIdempotency(key);
  if (dedupes !== undefined) for (const key of dedupes.values()) tick.putIdempotency(key);
  if (replacing !== undefined) replaced.push(...replacing);
  if (keyTails !== undefined) for (const [key, tail] of keyTails) setKeyTail(tick, key, tail.id);
  if (deduplicated !== undefined) fx.events.push(...deduplicated);
  fx.settle.push(() => unit.resolve(results));
  fx.rejections.push(unit.reject);
}

/** What the scheduler needs to submit jobs of its own in a tick. */
export interface OwnSubmitParts {
  readonly handlers: Handlers;
  readonly options: ResolvedOptions;
  readonly nextId: (nowMs: number) => string;
}

/**
 * Admits jobs the scheduler submits itself (compensations, schedule
 * occurrences) in this tick, whole or not at all, as a caller's submit is;
 * returns their ids, or `null` (and tells `refused` why) if they were refused.
 */
export async function admitOwn(
  ctx: TickContext,
  inputs: ReadonlyArray<JobInput<string, unknown>>,
  p: OwnSubmitParts,
  refused: (error: unknown) => void,
): Promise<readonly string[] | null> {
  let ok = true;
  const refuse = (error: unknown): void => {
    ok = false;
    refused(error);
  };
  try {
    const unit = prepareUnit(inputs, p.handlers, p.options, ctx.now, p.nextId);
    await admitUnit({ ...unit, actor: null, resolve: () => {}, reject: refuse }, ctx.tick, ctx.now, ctx.fx);
    // The ids are known before the commit answers the unit.
    return ok ? unit.ids : null;
  } catch (error) {
    refuse(error);
    return null;
  }
}
