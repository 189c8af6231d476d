import { JobError } from '../../errors.ts';
import { type JobRecord, JobState } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok } from '../assert.ts';
import { type Rig, START_MS } from '../rig.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { scenarios } from './scenario.ts';

/** Records when each keyed job ran, to check that a key never has two jobs running at once. */
function overlaps(runs: ReadonlyArray<{ id: string; key: string; from: number; to: number }>): string[] {
  const out: string[] = [];
  for (const a of runs)
    for (const b of runs) if (a.id < b.id && a.key === b.key && a.from < b.to && b.from < a.to) out.push(`${a.id} and ${b.id} (key ${a.key})`);
  return out;
}

/** A handler that takes `ms` of fake time and records its run. */
function timed(rig: () => Rig<never>, runs: Array<{ id: string; key: string; from: number; to: number }>): Handler {
  return async (p: { ms: number }, ctx) => {
    const from = rig().clock.now();
    await rig().sleep(p.ms);
    if (ctx.signal.aborted) return; // given up (a crash): its job runs again, and that run counts
    runs.push({ id: ctx.job.id, key: ctx.job.key ?? '', from, to: rig().clock.now() });
  };
}

type Run = { id: string; key: string; from: number; to: number };

/**
 * A handler that releases its key (`ctx.releaseKey`, asked twice) after
 * `releaseAfterMs` of fake time, then works `ms` more, failing its first
 * `failUntil - 1` attempts (counted across manual retries) at the end.
 */
function releasing(rig: () => Rig<never>, state: { runs: Run[]; released: Array<{ id: string; at: number; attempt: number }> }): Handler {
  const tries = new Map<string, number>();
  return async (p: { releaseAfterMs: number; ms: number; failUntil?: number }, ctx) => {
    const from = rig().clock.now();
    await rig().sleep(p.releaseAfterMs);
    if (ctx.signal.aborted) return; // given up (a crash)
    await ctx.releaseKey();
    await ctx.releaseKey();
    state.released.push({ id: ctx.job.id, at: rig().clock.now(), attempt: ctx.attempt });
    await rig().sleep(p.ms);
    if (ctx.signal.aborted) return;
    const n = (tries.get(ctx.job.id) ?? 0) + 1;
    tries.set(ctx.job.id, n);
    if (n < (p.failUntil ?? 0)) throw new Error(`try ${n} fails`);
    state.runs.push({ id: ctx.job.id, key: ctx.job.key ?? '', from, to: rig().clock.now() });
  };
}

type Ahead = { id: string; attempt: number; successors: string[]; after: string[] };

/**
 * A handler that hands the jobs queued behind it on with itself: after
 * `readAfterMs` it reads them (`ctx.keySuccessors`, at most `limit`), after
 * `releaseAfterMs` more it releases them (`ctx.releaseKey({ through })`,
 * asked twice) and reads again, then works `ms` more.
 */
function handingOn(rig: () => Rig<never>, state: { runs: Run[]; ahead: Ahead[] }): Handler {
  return async (p: { readAfterMs: number; releaseAfterMs: number; limit: number; ms: number }, ctx) => {
    const from = rig().clock.now();
    await rig().sleep(p.readAfterMs);
    if (ctx.signal.aborted) return;
    const successors = (await ctx.keySuccessors({ limit: p.limit })).map((j) => j.id);
    await rig().sleep(p.releaseAfterMs);
    if (ctx.signal.aborted) return;
    const through = successors.at(-1);
    await ctx.releaseKey(through === undefined ? undefined : { through });
    await ctx.releaseKey(through === undefined ? undefined : { through });
    const after = (await ctx.keySuccessors({ limit: p.limit })).map((j) => j.id);
    state.ahead.push({ id: ctx.job.id, attempt: ctx.attempt, successors, after });
    await rig().sleep(p.ms);
    if (ctx.signal.aborted) return;
    state.runs.push({ id: ctx.job.id, key: ctx.job.key ?? '', from, to: rig().clock.now() });
  };
}

/**
 * Jobs that share an ordering key run one at a time, in the order they
 * were admitted. A job that ends without running (cancelled, failed on its
 * deadline or a dependency) leaves the chain: the next waits for the one
 * before it. A job sent back from the dead-letter set rejoins its key at
 * the end, after whatever the key holds now. A running job that releases
 * its key (`ctx.releaseKey`) lets the rest of the key go on without it.
 */
export function orderingKeys(harness: StoreHarness): ConformanceGroup {
  const scenario = scenarios(harness);
  const cases: ConformanceCase[] = [
    scenario<{ step: Handler }, string[]>(
      'runs jobs with the same key one at a time, in submit order, through retries',
      (rig) => {
        const attempts = new Map<number, number>();
        const log: string[] = [];
        return {
          state: log,
          handlers: {
            step: async (p: { n: number; key: string }) => {
              log.push(`start ${p.key}${p.n}`);
              await rig().sleep(50);
              log.push(`end ${p.key}${p.n}`);
              const a = (attempts.get(p.n) ?? 0) + 1;
              attempts.set(p.n, a);
              if (p.n === 1 && a === 1) throw new Error('first attempt of job 1 fails');
            },
          },
          queues: { default: { concurrency: 4 } },
          retry: { maxAttempts: 3, backoff: { kind: 'constant', delayMs: 200 } },
        };
      },
      async (rig, log) => {
        const results = await rig.scheduler.submitAll([
          { type: 'step', payload: { n: 1, key: 'a' }, key: 'a' },
          { type: 'step', payload: { n: 2, key: 'a' }, key: 'a' },
          { type: 'step', payload: { n: 3, key: 'b' }, key: 'b' },
          { type: 'step', payload: { n: 4, key: 'a' }, key: 'a' },
        ]);
        deepEqual(
          results.map((r) => r.job.state),
          ['ready', 'waiting', 'ready', 'waiting'],
          'followers wait',
        );
        await rig.advance(2_000);
        for (const r of results) equal((await rig.store.get(r.job.id))?.state, JobState.succeeded, `job ${r.job.id} succeeded`);
        const keyA = log.filter((l) => l.endsWith('a1') || l.endsWith('a2') || l.endsWith('a4'));
        deepEqual(
          keyA,
          ['start a1', 'end a1', 'start a1', 'end a1', 'start a2', 'end a2', 'start a4', 'end a4'],
          'key a: one at a time, in order, the retry before the next',
        );
        ok(log.indexOf('start b3') < log.indexOf('end a1'), 'another key runs in parallel');
      },
    ),

    scenario<{ work: Handler }, Array<{ id: string; key: string; from: number; to: number }>>(
      'keeps one chain when a keyed job depends on one submitted after it in the same batch',
      (rig) => {
        const runs: Array<{ id: string; key: string; from: number; to: number }> = [];
        return { state: runs, handlers: { work: timed(rig as never, runs) }, queues: { default: { concurrency: 4 } } };
      },
      async (rig, runs) => {
        const [a, b] = await rig.scheduler.submitAll([
          { type: 'work', payload: { ms: 100 }, key: 'k', dependsOn: ['b'] },
          { ref: 'b', type: 'work', payload: { ms: 100 }, key: 'k' },
        ]);
        const { job: c } = await rig.scheduler.submit({ type: 'work', payload: { ms: 100 }, key: 'k' });
        await rig.advance(1_000);
        for (const job of [a!.job, b!.job, c]) equal((await rig.store.get(job.id))?.state, JobState.succeeded, `${job.id} succeeded`);
        deepEqual(overlaps(runs), [], 'no two jobs of key k ran at once');
        deepEqual(
          runs.map((r) => r.id),
          [b!.job.id, a!.job.id, c.id],
          'the dependency first, then its dependent, then the later job',
        );
      },
    ),

    scenario<{ work: Handler }, Array<{ id: string; key: string; from: number; to: number }>>(
      'keeps one chain across restarts in the same millisecond',
      (rig) => {
        const runs: Array<{ id: string; key: string; from: number; to: number }> = [];
        return { state: runs, handlers: { work: timed(rig as never, runs) }, queues: { default: { concurrency: 4 } }, leaseMs: 1_000 };
      },
      async (rig, runs) => {
        // Each restart is a new scheduler with a new id generator, at the same instant.
        const ids: string[] = [];
        for (let i = 0; i < 6; i++) {
          ids.push((await rig.scheduler.submit({ type: 'work', payload: { ms: 100 }, key: 'k' })).job.id);
          await rig.crashAndRestart();
        }
        ids.push((await rig.scheduler.submit({ type: 'work', payload: { ms: 100 }, key: 'k' })).job.id);
        await rig.advance(20_000); // the first job's lease (cut by the first crash) lapses, and it runs again
        for (const id of ids) equal((await rig.store.get(id))?.state, JobState.succeeded, `${id} succeeded`);
        deepEqual(overlaps(runs), [], 'no two jobs of key k ran at once');
        deepEqual(
          runs.map((r) => r.id),
          ids,
          'in submit order',
        );
      },
    ),

    scenario<{ work: Handler; fail: Handler }, Array<{ id: string; key: string; from: number; to: number }>>(
      'keeps the chain when a job in the middle is cancelled or fails on its deadline or a dependency',
      (rig) => {
        const runs: Array<{ id: string; key: string; from: number; to: number }> = [];
        return {
          state: runs,
          handlers: {
            work: timed(rig as never, runs),
            fail: async () => {
              throw JobError.nonRetryable('nope');
            },
          },
          queues: { default: { concurrency: 8 } },
        };
      },
      async (rig, runs) => {
        const now = rig.clock.now();
        const [head, cancelled, later1, late, later2, doomed, later3] = await rig.scheduler.submitAll([
          { type: 'work', payload: { ms: 5_000 }, key: 'k' },
          { type: 'work', payload: { ms: 100 }, key: 'k' },
          { type: 'work', payload: { ms: 100 }, key: 'k' },
          { type: 'work', payload: { ms: 100 }, key: 'k', deadlineAtMs: now + 1_000 },
          { type: 'work', payload: { ms: 100 }, key: 'k' },
          { type: 'work', payload: { ms: 100 }, key: 'k', dependsOn: ['broken'] },
          { type: 'work', payload: { ms: 100 }, key: 'k' },
          { ref: 'broken', type: 'fail' },
        ]);
        await rig.advance(10);
        await rig.scheduler.cancel(cancelled!.job.id);
        await rig.advance(2_000); // the deadline of `late` has passed, `broken` has failed; `head` still runs
        equal((await rig.store.get(late!.job.id))?.state, JobState.failed, 'the late job failed at its deadline');
        equal((await rig.store.get(doomed!.job.id))?.state, JobState.failed, 'the doomed job failed with its dependency');
        for (const job of [later1!.job, later2!.job, later3!.job]) {
          equal((await rig.store.get(job.id))?.state, JobState.waiting, `${job.id} still waits for the head of its key`);
        }
        await rig.advance(10_000);
        for (const job of [head!.job, later1!.job, later2!.job, later3!.job])
          equal((await rig.store.get(job.id))?.state, JobState.succeeded, `${job.id} succeeded`);
        deepEqual(overlaps(runs), [], 'no two jobs of key k ran at once');
        deepEqual(
          runs.map((r) => r.id),
          [head!.job.id, later1!.job.id, later2!.job.id, later3!.job.id],
          'the rest in order',
        );
      },
    ),

    scenario<{ work: Handler; once: Handler }, Array<{ id: string; key: string; from: number; to: number }>>(
      'sends a retried keyed job to the end of its key, after the jobs that key holds now',
      (rig) => {
        const runs: Array<{ id: string; key: string; from: number; to: number }> = [];
        let failed = false;
        return {
          state: runs,
          handlers: {
            work: timed(rig as never, runs),
            once: async (_p: null, ctx) => {
              if (!failed) {
                failed = true;
                throw JobError.nonRetryable('first time fails');
              }
              const from = rig().clock.now();
              await rig().sleep(100);
              runs.push({ id: ctx.job.id, key: 'k', from, to: rig().clock.now() });
            },
          },
          queues: { default: { concurrency: 4 } },
        };
      },
      async (rig, runs) => {
        const { job: first } = await rig.scheduler.submit({ type: 'once', key: 'k' });
        await rig.advance(10);
        equal((await rig.store.get(first.id))?.state, JobState.failed, 'dead-lettered');
        const { job: next } = await rig.scheduler.submit({ type: 'work', payload: { ms: 1_000 }, key: 'k' });
        await rig.advance(10); // `next` runs now
        const retried: JobRecord = await rig.scheduler.retry(first.id);
        equal(retried.state, JobState.waiting, 'the retried job waits for the job its key runs now');
        await rig.advance(5_000);
        equal((await rig.store.get(first.id))?.state, JobState.succeeded, 'then runs');
        deepEqual(overlaps(runs), [], 'never beside the later job');
        deepEqual(
          runs.map((r) => r.id),
          [next.id, first.id],
          'after it',
        );
      },
    ),

    scenario<{ head: Handler; work: Handler }, { runs: Run[]; released: Array<{ id: string; at: number; attempt: number }> }>(
      'lets the next job of a key start once a running job releases the key, and later jobs keep their order',
      (rig) => {
        const state = { runs: [] as Run[], released: [] as Array<{ id: string; at: number; attempt: number }> };
        return { state, handlers: { head: releasing(rig as never, state), work: timed(rig as never, state.runs) }, queues: { default: { concurrency: 8 } } };
      },
      async (rig, { runs, released }) => {
        const [a, b, c] = await rig.scheduler.submitAll([
          { type: 'head', payload: { releaseAfterMs: 100, ms: 1_000 }, key: 'k' },
          { type: 'work', payload: { ms: 200 }, key: 'k' },
          { type: 'work', payload: { ms: 100 }, key: 'k' },
        ]);
        const { job: keyless } = await rig.scheduler.submit({ type: 'head', payload: { releaseAfterMs: 10, ms: 10 } });
        await rig.advance(50);
        equal((await rig.store.get(b!.job.id))?.state, JobState.waiting, 'before the release, the next job waits');
        await rig.advance(100);
        equal(released.find((r) => r.id === a!.job.id)?.at, START_MS + 100, 'released at 100 ms (stored once, though asked twice)');
        equal((await rig.store.get(a!.job.id))?.state, JobState.running, 'the releasing job still runs');
        equal((await rig.store.get(b!.job.id))?.state, JobState.running, 'and the next one runs beside it');
        equal((await rig.store.get(c!.job.id))?.state, JobState.waiting, 'the one after waits for the next one, which did not release');
        const unblocked = (await rig.store.get(b!.job.id))!.history.find((t) => t.cause.code === 'unblocked');
        equal(unblocked?.cause.message, `key "k" released by ${a!.job.id}`, 'its history says why it was let through');
        // Admitted after the release, with nothing unstarted before it: it does not wait for the releasing job.
        const { job: d } = await rig.scheduler.submit({ type: 'head', payload: { releaseAfterMs: 0, ms: 100 }, key: 'j' });
        await rig.advance(10);
        const { job: e } = await rig.scheduler.submit({ type: 'work', payload: { ms: 100 }, key: 'j' });
        ok(e.state === JobState.ready || e.state === JobState.running, `a job admitted after the key was released runs at once (${e.state})`);
        await rig.advance(2_000);
        for (const job of [a!.job, b!.job, c!.job, keyless, d, e]) equal((await rig.store.get(job.id))?.state, JobState.succeeded, `${job.id} succeeded`);
        const run = (id: string) => runs.find((r) => r.id === id)!;
        ok(run(b!.job.id).from < run(a!.job.id).to, 'the next job ran before the releasing one finished');
        ok(run(c!.job.id).from >= run(b!.job.id).to, 'the one after it, after it');
        deepEqual(
          runs.filter((r) => r.key === 'k').map((r) => r.id),
          [b!.job.id, c!.job.id, a!.job.id],
          'each once',
        );
        deepEqual(released.filter((r) => r.id === keyless.id).length, 1, 'a job without a key may call it: nothing happens');
      },
    ),

    scenario<{ head: Handler; work: Handler }, { runs: Run[]; released: Array<{ id: string; at: number; attempt: number }> }>(
      'keeps a release across a crash, and releases nothing when the crash comes before it is stored',
      (rig) => {
        const state = { runs: [] as Run[], released: [] as Array<{ id: string; at: number; attempt: number }> };
        return {
          state,
          handlers: { head: releasing(rig as never, state), work: timed(rig as never, state.runs) },
          queues: { default: { concurrency: 8 } },
          leaseMs: 1_000,
        };
      },
      async (rig, { runs, released }) => {
        const [gate, a, b, c] = await rig.scheduler.submitAll([
          // What the next job of the key also depends on: not due for 5 s.
          { ref: 'gate', type: 'work', payload: { ms: 10 }, delayMs: 5_000 },
          { type: 'head', payload: { releaseAfterMs: 100, ms: 10_000 }, key: 'k' },
          { type: 'work', payload: { ms: 100 }, key: 'k', dependsOn: ['gate'] },
          { type: 'work', payload: { ms: 100 }, key: 'k' },
        ]);
        await rig.advance(50);
        await rig.crashAndRestart(); // before the release
        await rig.advance(500);
        deepEqual(released, [], 'nothing released yet');
        equal((await rig.store.get(b!.job.id))?.after, a!.job.id, 'the next job still waits for the head of its key');
        await rig.advance(1_500); // the head's lease lapses; its second attempt releases the key
        deepEqual(
          released.map((r) => [r.id, r.attempt]),
          [[a!.job.id, 2]],
          'released by the second attempt',
        );
        await rig.crashAndRestart(); // after the release, the head mid-run
        const next = (await rig.store.get(b!.job.id))!;
        equal(next.state, JobState.waiting, 'the next job waits for its dependency only');
        equal(next.after, null, 'no longer for the head of its key: the release was stored');
        await rig.advance(20_000); // the head runs a third time (its release changes nothing), the gate at 5 s, then the rest
        for (const job of [gate!.job, a!.job, b!.job, c!.job]) equal((await rig.store.get(job.id))?.state, JobState.succeeded, `${job.id} succeeded`);
        const run = (id: string) => runs.find((r) => r.id === id)!;
        ok(run(b!.job.id).from >= START_MS + 5_000, 'the next job ran after its dependency');
        ok(run(b!.job.id).to < run(a!.job.id).to, 'and before the head finished, without waiting for its retry');
        ok(run(c!.job.id).from >= run(b!.job.id).to, 'the one after it, after it');
        deepEqual(
          runs.filter((r) => r.key === 'k').map((r) => r.id),
          [b!.job.id, c!.job.id, a!.job.id],
          'each once to the end',
        );
        deepEqual(
          released.map((r) => r.attempt),
          [2, 3],
          'the third attempt asked again',
        );
      },
    ),

    scenario<{ head: Handler; work: Handler }, { runs: Run[]; released: Array<{ id: string; at: number; attempt: number }> }>(
      'keeps successors released through retries of the job that released its key, and sends it to the end when retried by hand',
      (rig) => {
        const state = { runs: [] as Run[], released: [] as Array<{ id: string; at: number; attempt: number }> };
        return {
          state,
          handlers: { head: releasing(rig as never, state), work: timed(rig as never, state.runs) },
          queues: { default: { concurrency: 8 } },
          retry: { maxAttempts: 2, backoff: { kind: 'constant', delayMs: 200 } },
        };
      },
      async (rig, { runs, released }) => {
        const [a, b, c] = await rig.scheduler.submitAll([
          { type: 'head', payload: { releaseAfterMs: 50, ms: 100, failUntil: 3 }, key: 'k' },
          { type: 'work', payload: { ms: 1_000 }, key: 'k' },
          { type: 'work', payload: { ms: 1_000 }, key: 'k' },
        ]);
        await rig.advance(200); // released at 50 ms, failed at 150 ms, to run again at 350 ms
        equal((await rig.store.get(a!.job.id))?.state, JobState.scheduled, 'the head waits for its retry');
        equal((await rig.store.get(b!.job.id))?.state, JobState.running, 'the next job runs meanwhile');
        await rig.advance(400); // the second attempt fails too: dead-lettered
        equal((await rig.store.get(a!.job.id))?.state, JobState.failed, 'the head is dead-lettered');
        equal((await rig.store.get(b!.job.id))?.state, JobState.running, 'the next job was never held back again');
        const retried = await rig.scheduler.retry(a!.job.id);
        equal(retried.state, JobState.waiting, 'retried by hand, it goes to the end of its key');
        equal(retried.after, c!.job.id, 'after the last job the key holds');
        const { job: d } = await rig.scheduler.submit({ type: 'work', payload: { ms: 100 }, key: 'k' });
        equal(d.after, a!.job.id, 'a job admitted now waits for it');
        await rig.advance(5_000);
        for (const job of [a!.job, b!.job, c!.job, d]) equal((await rig.store.get(job.id))?.state, JobState.succeeded, `${job.id} succeeded`);
        const run = (id: string) => runs.find((r) => r.id === id)!;
        ok(run(c!.job.id).from >= run(b!.job.id).to, 'the jobs it let through kept their order');
        ok(run(a!.job.id).from >= run(c!.job.id).to, 'the retried job ran after them');
        ok(run(d.id).from < run(a!.job.id).to, 'and released the key again, letting the last one through');
        deepEqual(
          released.map((r) => r.attempt),
          [1, 2, 1],
          'released on every attempt; only the first and the one after the manual retry changed anything',
        );
        equal(runs.filter((r) => r.id === b!.job.id).length, 1, 'the next job ran once');
      },
    ),

    scenario<{ ahead: Handler; work: Handler }, { runs: Run[]; ahead: Ahead[] }>(
      'reads the jobs queued behind a running job in key order, and releases them through one of them at once; the next still waits',
      (rig) => {
        const state = { runs: [] as Run[], ahead: [] as Ahead[] };
        return { state, handlers: { ahead: handingOn(rig as never, state), work: timed(rig as never, state.runs) }, queues: { default: { concurrency: 8 } } };
      },
      async (rig, { runs, ahead }) => {
        const [h, a, other, b, dependent, c, d] = await rig.scheduler.submitAll([
          { ref: 'h', type: 'ahead', payload: { readAfterMs: 10, releaseAfterMs: 10, limit: 3, ms: 1_000 }, key: 'k' },
          { type: 'work', payload: { ms: 100 }, key: 'k' },
          { type: 'work', payload: { ms: 100 }, key: 'other' },
          { type: 'work', payload: { ms: 100 }, key: 'k' },
          // Waits for the head as a dependency, not in its key: not a successor.
          { type: 'work', payload: { ms: 100 }, dependsOn: ['h'] },
          { type: 'work', payload: { ms: 100 }, key: 'k' },
          { type: 'work', payload: { ms: 100 }, key: 'k' },
        ]);
        const id = (r: typeof h) => r!.job.id;
        await rig.advance(15);
        equal((await rig.store.get(id(a)))?.state, JobState.waiting, 'read, not released yet: the next job waits');
        await rig.advance(10);
        deepEqual(
          ahead.map((x) => [x.id, x.successors]),
          [[id(h), [id(a), id(b), id(c)]]],
          'its key successors, nearest first, up to the limit (not another key, not a dependent)',
        );
        deepEqual(ahead[0]!.after, [], 'none once released (asked twice: stored once)');
        for (const r of [a, b, c]) {
          const job = (await rig.store.get(id(r)))!;
          equal(job.state, JobState.running, `${job.id} runs beside the head`);
          equal(job.after, null, `${job.id} waits for nothing in the key`);
          equal(job.history.find((t) => t.cause.code === 'unblocked')?.cause.message, `key "k" released by ${id(h)}`, 'its history says why');
        }
        const next = (await rig.store.get(id(d)))!;
        equal(next.state, JobState.waiting, 'the job after the last one released waits');
        equal(next.after, id(c), 'for that one');
        await rig.advance(2_000);
        for (const r of [h, a, other, b, dependent, c, d]) equal((await rig.store.get(id(r)))?.state, JobState.succeeded, `${id(r)} succeeded`);
        const run = (r: typeof h) => runs.find((x) => x.id === id(r))!;
        ok(run(d).from >= run(c).to, 'the next ran after the last one released');
        ok(run(b).from < run(a).to && run(c).from < run(b).to, 'the released ones together');
        equal(runs.filter((x) => x.key === 'k').length, 5, 'each once');
      },
    ),

    scenario<{ ahead: Handler; work: Handler }, { runs: Run[]; ahead: Ahead[] }>(
      'releases nothing through a crash before the release is stored, and keeps the release across a crash after it',
      (rig) => {
        const state = { runs: [] as Run[], ahead: [] as Ahead[] };
        return {
          state,
          handlers: { ahead: handingOn(rig as never, state), work: timed(rig as never, state.runs) },
          queues: { default: { concurrency: 8 } },
          leaseMs: 1_000,
        };
      },
      async (rig, { runs, ahead }) => {
        const [h, a, b, c] = await rig.scheduler.submitAll([
          { type: 'ahead', payload: { readAfterMs: 100, releaseAfterMs: 100, limit: 2, ms: 10_000 }, key: 'k' },
          { type: 'work', payload: { ms: 100 }, key: 'k' },
          { type: 'work', payload: { ms: 100 }, key: 'k' },
          { type: 'work', payload: { ms: 100 }, key: 'k' },
        ]);
        const id = (r: typeof h) => r!.job.id;
        await rig.advance(150); // read, not released
        await rig.crashAndRestart();
        await rig.advance(500);
        deepEqual(ahead, [], 'nothing released yet');
        equal((await rig.store.get(id(a)))?.after, id(h), 'the next job still waits for the head');
        equal((await rig.store.get(id(b)))?.after, id(a), 'the one after it for it');
        await rig.advance(1_500); // the head's lease lapses; its second attempt reads and releases
        deepEqual(
          ahead.map((x) => [x.attempt, x.successors]),
          [[2, [id(a), id(b)]]],
          'read again and released by the second attempt',
        );
        await rig.crashAndRestart(); // after the release, the head mid-run
        equal((await rig.store.get(id(a)))?.after, null, 'the release was stored');
        equal((await rig.store.get(id(b)))?.after, null, 'through the last one read');
        equal((await rig.store.get(id(c)))?.after, id(b), 'and the job after it still waits for it');
        await rig.advance(20_000);
        for (const r of [h, a, b, c]) equal((await rig.store.get(id(r)))?.state, JobState.succeeded, `${id(r)} succeeded`);
        deepEqual(
          ahead.map((x) => [x.attempt, x.successors]),
          [
            [2, [id(a), id(b)]],
            [3, []],
          ],
          'the third attempt finds nothing behind it: nothing more to release',
        );
        const run = (r: typeof h) => runs.find((x) => x.id === id(r))!;
        ok(run(c).from >= run(b).to, 'the job after the released ones ran after them');
        ok(run(b).to < run(h).to, 'the released ones ran without waiting for the head');
        equal(runs.filter((x) => x.key === 'k').length, 4, 'each once');
      },
    ),

    scenario<{ ahead: Handler; work: Handler }, { runs: Run[]; ahead: Ahead[] }>(
      'skips a successor cancelled before the release, and releases none past a through job that was cancelled',
      (rig) => {
        const state = { runs: [] as Run[], ahead: [] as Ahead[] };
        return { state, handlers: { ahead: handingOn(rig as never, state), work: timed(rig as never, state.runs) }, queues: { default: { concurrency: 8 } } };
      },
      async (rig, { runs, ahead }) => {
        const chain = (key: string) => [
          { type: 'ahead' as const, payload: { readAfterMs: 10, releaseAfterMs: 100, limit: 3, ms: 1_000 }, key },
          { type: 'work' as const, payload: { ms: 100 }, key },
          { type: 'work' as const, payload: { ms: 100 }, key },
          { type: 'work' as const, payload: { ms: 100 }, key },
          { type: 'work' as const, payload: { ms: 100 }, key },
        ];
        const [h1, a1, b1, c1, d1, h2, a2, b2, c2, d2] = (await rig.scheduler.submitAll([...chain('k1'), ...chain('k2')])).map((r) => r.job.id);
        await rig.advance(50); // both heads have read three successors
        await rig.scheduler.cancel(b1!); // in the middle of what the head will release
        await rig.scheduler.cancel(c2!); // the last one it will release
        await rig.advance(100);
        deepEqual(
          ahead.map((x) => x.successors),
          [
            [a1, b1, c1],
            [a2, b2, c2],
          ],
          'each head read three',
        );
        const get = async (jobId: string) => (await rig.store.get(jobId))!;
        for (const jobId of [a1, c1, a2, b2]) equal((await get(jobId!)).state, JobState.running, `${jobId} released`);
        equal((await get(d1!)).after, c1, 'the job after the released ones still waits');
        equal((await get(d2!)).state, JobState.waiting, 'the through job was cancelled: the one after it is not released');
        equal((await get(d2!)).after, b2, 'it waits for the last released job before it');
        await rig.advance(2_000);
        for (const jobId of [h1, a1, c1, d1, h2, a2, b2, d2]) equal((await get(jobId!)).state, JobState.succeeded, `${jobId} succeeded`);
        for (const jobId of [b1, c2]) equal((await get(jobId!)).state, JobState.cancelled, `${jobId} cancelled, never run`);
        const run = (jobId: string) => runs.find((x) => x.id === jobId)!;
        ok(run(d1!).from >= run(c1!).to, 'in order in k1');
        ok(run(d2!).from >= run(b2!).to, 'in order in k2');
        equal(runs.length, 8, 'each once');
      },
    ),
  ];
  return { name: 'ordering keys', cases };
}
