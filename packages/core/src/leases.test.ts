import { describe, expect, it } from 'vitest';
import { Attempt, type AttemptHost } from './attempt.ts';
import { EventName } from './events.ts';
import { FailureKind, type Json, type JobRecord, JobState } from './job.ts';
import { type Beats, Leases } from './leases.ts';
import { MemoryStore } from './memory-store.ts';
import { emptyBatch } from './store.ts';
import { sampleRecord } from './testing/conformance/sample-record.ts';
import { TickContext } from './tick-context.ts';

const LEASE = 30_000;

/** Attempts' view of time: what the test sets. */
const time = { now: 0 };
const host: AttemptHost = {
  now: () => time.now,
  loadSteps: async () => new Map(),
  writeStep: async () => {},
  releaseKey: async () => {},
  keySuccessors: async () => [],
  recordProgress: () => {},
  submitChildren: async () => [],
  getJobs: async (ids) => ids.map(() => undefined),
  hasHandler: () => true,
};

/** A job running since `startedAtMs` under a fresh lease. */
function runningJob(startedAtMs: number, over: Partial<JobRecord> = {}): JobRecord {
  return sampleRecord({ state: JobState.running, rank: null, attempt: 1, leaseMs: LEASE, startedAtMs, dueAtMs: startedAtMs + LEASE, ...over });
}

function attempt(startedAtMs: number, over: Partial<JobRecord> = {}): Attempt {
  return new Attempt(host, runningJob(startedAtMs, over), startedAtMs, []);
}

function leases(): { leases: Leases; drops: () => number } {
  let drops = 0;
  return { leases: new Leases(['default', 'other'], () => drops++), drops: () => drops };
}

async function storeWith(records: readonly JobRecord[]): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.commit({ ...emptyBatch(), jobs: records.map((record) => ({ record, expectedVersion: null, expectedState: null })) });
  return store;
}

const beats = (entries: ReadonlyArray<[string, Json | undefined]>): Beats => new Map(entries.map(([id, progress]) => [id, { progress }]));

describe('Leases', () => {
  it('counts running attempts per queue as they are added and dropped', () => {
    const { leases: l, drops } = leases();
    const [a, b, c] = [attempt(0), attempt(0), attempt(0, { queue: 'other' })];
    for (const x of [a, b, c]) l.add(x);
    expect([l.runningIn('default'), l.runningIn('other'), l.size]).toEqual([2, 1, 3]);
    expect(l.holder(a.record.id)).toBe(a);
    l.drop(a);
    expect([l.runningIn('default'), l.size, drops()]).toEqual([1, 2, 1]);
    expect(l.holder(a.record.id)).toBeUndefined();
    expect([...l.all()]).toEqual([b, c]);
  });

  it('frees a slot only once when an attempt is dropped twice', () => {
    const { leases: l, drops } = leases();
    const a = attempt(0);
    l.add(a);
    l.drop(a);
    l.drop(a);
    expect([l.runningIn('default'), drops()]).toEqual([0, 1]);
  });

  it('says whether an attempt still holds its job', () => {
    const { leases: l } = leases();
    const a = attempt(0);
    expect(l.holds(a)).toBe(false);
    l.add(a);
    expect(l.holds(a)).toBe(true);
    expect(l.holds(new Attempt(host, a.record, 0, []))).toBe(false);
    l.drop(a);
    expect(l.holds(a)).toBe(false);
  });

  it('abandons an attempt: aborts its signal with the reason, settles it and frees its slot', () => {
    const { leases: l, drops } = leases();
    const [a, b] = [attempt(0), attempt(0)];
    l.add(a);
    l.add(b);
    const signal = a.signal;
    const reason = new Error('stopped');
    l.abandon(a, reason);
    expect([signal.aborted, signal.reason, a.settled]).toEqual([true, reason, true]);
    expect([l.holds(a), l.runningIn('default'), drops()]).toEqual([false, 1, 1]);
    l.abandon(b, reason);
    expect(b.signal.aborted).toBe(true); // a signal first looked at after the abort is aborted too
  });

  it('expires an attempt at its timeout, as a timeout failure, and aborts it', () => {
    const { leases: l } = leases();
    const a = attempt(0, { timeoutMs: 1000 });
    l.add(a);
    expect(l.expire(999)).toEqual([]);
    const [outcome, ...rest] = l.expire(1000);
    expect(rest).toEqual([]);
    const message = 'attempt 1 timed out after 1000 ms';
    expect(outcome).toEqual({
      attempt: a,
      ok: false,
      deadline: false,
      failure: { kind: FailureKind.timeout, name: 'BatonError', message, code: 'timeout', retryable: true, retryAfterMs: null },
    });
    expect(a.settled).toBe(true);
    expect(a.signal.aborted).toBe(true);
    expect(a.signal.reason).toMatchObject({ name: 'TimeoutError', code: 'timeout', message });
    expect(l.holds(a)).toBe(true); // settling the outcome drops it
    expect(l.expire(5000)).toEqual([]);
  });

  it('expires an attempt at its job’s deadline when that comes first, as deadline-exceeded, and never one with neither', () => {
    const { leases: l } = leases();
    const a = attempt(0, { timeoutMs: 5000, deadlineAtMs: 2000 });
    const b = attempt(0, { deadlineAtMs: 3000 });
    l.add(a);
    l.add(b);
    expect(l.expire(1999)).toEqual([]);
    const [outcome] = l.expire(2000);
    expect([outcome?.attempt, outcome?.ok, outcome?.ok === false && outcome.deadline]).toEqual([a, false, true]);
    expect(outcome).toMatchObject({ failure: { code: 'deadline-exceeded', message: 'deadline 2000 reached during attempt 1' } });
    expect(a.signal.reason).toMatchObject({ name: 'TimeoutError', code: 'deadline-exceeded' });
    expect(l.expire(3000).map((o) => [o.attempt, o.ok ? null : o.failure.code])).toEqual([[b, 'deadline-exceeded']]);
    const untimed = attempt(0);
    l.add(untimed);
    expect(l.expire(Number.MAX_SAFE_INTEGER)).toEqual([]); // no timeout, no deadline: never
  });

  it('persists reported progress with a renewed lease, and announces it', async () => {
    const { leases: l } = leases();
    const a = attempt(0);
    l.add(a);
    const store = await storeWith([a.record]);
    const ctx = new TickContext(store, 4000);
    l.renew(ctx, beats([[a.record.id, { pct: 50 }]]));
    expect(ctx.tick.peek(a.record.id)).toMatchObject({ progress: { pct: 50 }, dueAtMs: 4000 + LEASE, version: 2, state: JobState.running });
    expect(ctx.fx.events).toEqual([
      {
        name: EventName.progress,
        jobId: a.record.id,
        type: 'noop',
        queue: 'default',
        atMs: 4000,
        attempt: 1,
        correlationId: a.record.id,
        progress: { pct: 50 },
      },
    ]);
    expect(ctx.tick.batch().jobs).toHaveLength(1);
    await store.commit(ctx.tick.batch());
  });

  it('ignores heartbeats without progress and for jobs it does not hold', async () => {
    const { leases: l } = leases();
    const a = attempt(0);
    l.add(a);
    const ctx = new TickContext(await storeWith([a.record]), 1000);
    l.renew(
      ctx,
      beats([
        [a.record.id, undefined],
        ['01JOBNOTOURS', { pct: 1 }],
      ]),
    );
    expect([ctx.tick.batch().jobs, ctx.fx.events]).toEqual([[], []]);
  });

  it('renews a lease once half of it has passed, not before', async () => {
    const { leases: l } = leases();
    const a = attempt(0);
    l.add(a);
    const store = await storeWith([a.record]);
    const early = new TickContext(store, LEASE / 2 - 1);
    l.renew(early, new Map());
    expect(early.tick.peek(a.record.id)).toBeUndefined();
    const half = new TickContext(store, LEASE / 2);
    l.renew(half, new Map());
    expect(half.tick.peek(a.record.id)).toMatchObject({ dueAtMs: LEASE / 2 + LEASE, version: 2 });
    await store.commit(half.tick.batch());
  });

  it('does not renew a job this tick moved out of running', () => {
    const { leases: l } = leases();
    const a = attempt(0);
    l.add(a);
    const ctx = new TickContext(new MemoryStore(), LEASE);
    const cancelled = { ...a.record, state: JobState.cancelled, dueAtMs: null, version: 2 };
    ctx.tick.put(cancelled, a.record);
    l.renew(ctx, new Map());
    expect(ctx.tick.peek(a.record.id)).toBe(cancelled);
  });

  it('extends the lease of its own attempt whose lease timer came due, and reports nothing', () => {
    const { leases: l } = leases();
    const a = attempt(0);
    l.add(a);
    const ctx = new TickContext(new MemoryStore(), LEASE + 10);
    expect(l.lapsed(ctx, a.record)).toBeNull();
    expect(ctx.tick.peek(a.record.id)).toMatchObject({ dueAtMs: 2 * LEASE + 10, state: JobState.running });
    expect(ctx.fx.events).toEqual([]);
  });

  it('reports a lapsed lease of a job it does not hold as lease-expired, with a stalled event', () => {
    const { leases: l } = leases();
    const orphan = runningJob(0, { attempt: 2 });
    const ctx = new TickContext(new MemoryStore(), LEASE + 10);
    const cause = { code: 'lease-expired', message: `lease expired at ${LEASE} during attempt 2` };
    expect(l.lapsed(ctx, orphan)).toEqual(cause);
    expect(ctx.tick.peek(orphan.id)).toBeUndefined();
    expect(ctx.fx.events).toEqual([
      { name: EventName.stalled, jobId: orphan.id, type: 'noop', queue: 'default', atMs: LEASE + 10, attempt: 2, correlationId: orphan.id, cause },
    ]);
  });

  it('wakes for the earliest renewal or timeout of its attempts', () => {
    const { leases: l } = leases();
    expect(l.nextWakeMs()).toBeNull();
    l.add(attempt(1000));
    expect(l.nextWakeMs()).toBe(1000 + LEASE / 2);
    l.add(attempt(0, { timeoutMs: 20_000 }));
    expect(l.nextWakeMs()).toBe(LEASE / 2);
    l.add(attempt(500, { timeoutMs: 2000 }));
    expect(l.nextWakeMs()).toBe(2500);
  });

  it('lets live attempts see their running job as committed, and nothing else', () => {
    const { leases: l } = leases();
    const a = attempt(0);
    l.add(a);
    const renewed = { ...a.record, dueAtMs: 50_000, version: 2 };
    l.refresh([renewed, runningJob(0)]);
    expect(a.record).toBe(renewed);
    l.refresh([{ ...renewed, state: JobState.succeeded, version: 3 }]);
    expect(a.record).toBe(renewed);
  });

  it('lists attempts whose handler has been silent for silentAfterMs', () => {
    const { leases: l } = leases();
    const [quiet, chatty] = [attempt(0), attempt(0)];
    l.add(quiet);
    l.add(chatty);
    time.now = 4000;
    chatty.heartbeat();
    expect(l.silent(4999, 5000)).toEqual([]);
    expect(l.silent(5000, 5000)).toEqual([quiet.record.id]);
    expect(l.silent(9000, 5000)).toEqual([quiet.record.id, chatty.record.id]);
  });
});
