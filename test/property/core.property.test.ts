/**
 * A seeded model check of the core: random workloads (submits, graphs,
 * ordering keys, idempotency keys, cancels, dead-letter retries, timeouts,
 * hanging handlers, durable steps, clock advances, crashes) run on the
 * memory store and on IndexedDB (fake-indexeddb), with the invariants of
 * `invariants.ts` checked after every step.
 *
 * BATON_PROPERTY_RUNS (default 300; IndexedDB, ten times slower a run, gets a sixth as many) and
 * BATON_PROPERTY_SEED set the runs and the seed; on a failure the shrunk
 * workload is printed, in words and as data, with the seed and
 * fast-check's path, and BATON_PROPERTY_PATH replays it (`npm run
 * fuzz:core` runs 1000). Any violation of an invariant fails the run.
 * The violations the model found, all fixed in the core, are kept below as
 * hand-written regression cases.
 */
import 'fake-indexeddb/auto';
import { type DependencyCycleError, type Handlers, isBatonError, type JobContext, JobError, MemoryStore } from '@baton/core';
import { Rig, type StoreHarness } from '@baton/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idbHarness } from '../idb-harness.ts';
import { addStats, emptyStats, type RunStats, runWorkload } from './run-workload.ts';
import { describeWorkload, type Workload, workload } from './workload.ts';

const RUNS = Number(process.env.BATON_PROPERTY_RUNS ?? 300);
const SEED = Number(process.env.BATON_PROPERTY_SEED ?? 20_261_129);
const PATH = process.env.BATON_PROPERTY_PATH;

const memoryHarness: StoreHarness = { open: async () => new MemoryStore(), reopen: async (store) => store };

let databases = 0;
/** A fresh IndexedDB database per run, deleted after it. */
async function withIndexedDb<T>(fn: (harness: StoreHarness) => Promise<T>): Promise<T> {
  const prefix = `baton-property-${++databases}`;
  try {
    return await fn(idbHarness(prefix));
  } finally {
    await new Promise<void>((resolve) => {
      const request = indexedDB.deleteDatabase(`${prefix}-1`);
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    });
  }
}

type Check = { readonly runs: number; readonly arbitrary: fc.Arbitrary<Workload>; readonly run: (w: Workload) => ReturnType<typeof runWorkload> };

const CHECKS = {
  memory: { runs: RUNS, arbitrary: workload(), run: (w) => runWorkload(memoryHarness, w) },
  indexeddb: { runs: Math.max(1, Math.ceil(RUNS / 6)), arbitrary: workload(), run: (w) => withIndexedDb((h) => runWorkload(h, w)) },
  // Without dead-letter retry(): submits and cancels only, so more of each run goes to graphs, keys and cancels.
  'memory, no retry()': { runs: RUNS, arbitrary: workload({ retries: false }), run: (w) => runWorkload(memoryHarness, w) },
} satisfies Record<string, Check>;

function summary(name: string, runs: number, stats: RunStats, ms: number): string {
  return (
    `${name}: ${runs} runs in ${(ms / 1000).toFixed(1)} s — ${stats.ops} ops, ${stats.jobs} jobs, ${stats.invocations} handler calls, ` +
    `${stats.effects} step effects (${stats.repeatedEffects} repeated), ${stats.events} events, ${stats.timeouts} timeouts, ` +
    `${stats.crashes} crashes (${stats.stalled} leases recovered), ${stats.deduplicated} deduplicated, ${stats.expiredKeys} past their TTL, ` +
    `${stats.conflicts} idempotency conflicts, ${stats.cancels} cancels, ${stats.retries} retries, ${stats.refused} refused, ` +
    `${Math.round(stats.fakeMs / 1000)} s of fake time`
  );
}

const title = (name: keyof typeof CHECKS) => `holds its invariants: ${name}`;

/** Runs the property; on failure, throws the shrunk workload in words and as data, with how to replay it. */
async function modelCheck(name: keyof typeof CHECKS): Promise<void> {
  const check: Check = CHECKS[name];
  const totals = emptyStats();
  let runs = 0;
  const started = performance.now();
  const property = fc.asyncProperty(check.arbitrary, async (w) => {
    runs++;
    addStats(totals, (await check.run(w)).stats);
  });
  const details = await fc.check(property, { numRuns: check.runs, seed: SEED, ...(PATH === undefined ? {} : { path: PATH }) });
  console.log(summary(name, runs, totals, performance.now() - started));
  if (!details.failed) return;
  const w = details.counterexample?.[0];
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(
    [
      `The model check failed on ${name} after ${details.numRuns} runs (${details.numShrinks} shrinks).`,
      `Replay: BATON_PROPERTY_SEED=${details.seed} BATON_PROPERTY_PATH='${details.counterexamplePath}' node_modules/.bin/node node_modules/.bin/vitest run --project node test/property -t '${title(name).replace(/[()]/g, '\\$&')}$'`,
      '',
      w === undefined ? '(no counterexample)' : describeWorkload(w),
      '',
      `as data: ${JSON.stringify(w)}`,
      '',
      error,
    ].join('\n'),
  );
}

describe('the core against its model (fast-check)', () => {
  const timeout = Math.max(60_000, RUNS * 4_000);
  for (const name of Object.keys(CHECKS) as Array<keyof typeof CHECKS>) it(title(name), () => modelCheck(name), timeout);

  it('replays: the same workload gives the same events', async () => {
    const [w] = fc.sample(workload(), { seed: SEED, numRuns: 1 });
    const first = await runWorkload(memoryHarness, w!);
    const second = await runWorkload(memoryHarness, w!);
    expect(second.digest).toBe(first.digest);
    const onIdb = await withIndexedDb((h) => runWorkload(h, w!));
    const again = await withIndexedDb((h) => runWorkload(h, w!));
    expect(again.digest).toBe(onIdb.digest);
  });
});

// ---- what the model found -------------------------------------------------------
//
// Each case is a shrunk counterexample of the model check, rewritten by hand
// as the smallest story that shows it. All are fixed in the core: they stay
// as regression cases, each asserting the behaviour the fix gives (the
// comment above it tells the story as it went wrong, and the inline comments
// what the core answered then).

/** A started rig on the memory store, with `handlers` that may sleep on its clock. */
async function rigWith<H extends Handlers>(handlers: (rig: () => Rig<H>) => H, queues?: Readonly<Record<string, { concurrency: number }>>): Promise<Rig<H>> {
  let rig!: Rig<H>;
  rig = await Rig.create<H>(memoryHarness, { handlers: handlers(() => rig), ...(queues === undefined ? {} : { queues }) });
  rig.scheduler.start();
  return rig;
}

describe('violations the model found, fixed', () => {
  // besideRetriedDependency. A fails. B depends on A with onDependencyFailure
  // 'continue' and a 100 ms delay: it is released (scheduled) at once, A having
  // ended. A is retried and runs again, for 500 ms. At +100 B starts while A
  // runs, and ctx.dependencies shows A `running`: no outcome to continue with.
  it('a `continue` dependent does not start while its retried dependency runs again', async () => {
    let runs = 0;
    const rig = await rigWith((r) => ({
      flaky: async () => {
        if (++runs === 1) throw JobError.nonRetryable('the first run fails');
        await r().sleep(500);
      },
      report: async (_: null, ctx: JobContext) => ctx.dependencies.map((d) => d.state),
    }));
    const a = await rig.scheduler.submit({ type: 'flaky' });
    await rig.settle();
    const b = await rig.scheduler.submit({ type: 'report', dependsOn: [a.job.id], onDependencyFailure: 'continue', delayMs: 100 });
    await rig.scheduler.retry(a.job.id);
    await rig.advance(1_000);
    const seen = (await rig.store.get(b.job.id))!.result as string[];
    await rig.close();
    expect(['succeeded', 'failed', 'cancelled']).toContain(seen[0]); // got 'running'
  });

  // pastRetriedKeyJob. A (key k) fails at once. B (key k) starts, for 1 s.
  // retry(A): A waits for B, at the end of the key. cancel(A): A ends without
  // running again, but keeps the startedAtMs of its first run. C (key k) is
  // submitted: the key's chain stops at A ("it started, so nothing before it
  // is left") and C starts at once, beside B.
  it('a key never runs two jobs at once after a retried job of the key is cancelled', async () => {
    const running: string[] = [];
    let overlap = false;
    const rig = await rigWith((r) => ({
      fail: async () => {
        throw JobError.nonRetryable('fails at once');
      },
      slow: async (_: null, ctx: JobContext) => {
        if (running.length > 0) overlap = true;
        running.push(ctx.job.id);
        await r().sleep(1_000);
        running.splice(running.indexOf(ctx.job.id), 1);
      },
    }));
    const a = await rig.scheduler.submit({ type: 'fail', key: 'k' });
    await rig.settle();
    await rig.scheduler.submit({ type: 'slow', key: 'k' });
    await rig.settle();
    await rig.scheduler.retry(a.job.id);
    await rig.scheduler.cancel(a.job.id);
    const c = await rig.scheduler.submit({ type: 'slow', key: 'k' });
    await rig.advance(3_000);
    await rig.close();
    expect(c.job.state).toBe('waiting'); // got 'ready'
    expect(overlap).toBe(false);
  });

  // deferredDoom. P (key k) runs for 1 s. A batch: E (key k), and F (key k)
  // depending on E. cancel(E): F must fail now (its dependency was
  // cancelled, onDependencyFailure 'fail'). Instead F is relinked to wait for
  // P (E ended without running) and the verdict on its dependency is skipped:
  // F stays `waiting` until P ends.
  it('a cancelled dependency fails its dependent at once, even one relinked in its key', async () => {
    const rig = await rigWith((r) => ({
      slow: async () => {
        await r().sleep(1_000);
      },
      quick: async () => null,
    }));
    await rig.scheduler.submit({ type: 'slow', key: 'k' });
    const [e, f] = await rig.scheduler.submitAll([
      { ref: 'e', type: 'quick', key: 'k' },
      { type: 'quick', key: 'k', dependsOn: ['e'] },
    ]);
    await rig.scheduler.cancel(e!.job.id);
    await rig.settle();
    const state = (await rig.store.get(f!.job.id))!.state;
    await rig.close();
    expect(state).toBe('failed'); // got 'waiting'
  });

  // retryDeadlock. A (key k) fails at once. D runs for 1 s. K (key k) depends
  // on A and D with onDependencyFailure 'continue': it waits for D (A has
  // ended). retry(A) would put A at the end of key k, behind K, which would
  // then wait for A as well: neither could ever run. The retry is refused as
  // a cycle, and K runs once D ends.
  it('retry() never puts a job behind its own dependent', async () => {
    const rig = await rigWith((r) => ({
      fail: async () => {
        throw JobError.nonRetryable('fails at once');
      },
      slow: async () => {
        await r().sleep(1_000);
      },
      quick: async () => null,
    }));
    const a = await rig.scheduler.submit({ type: 'fail', key: 'k' });
    const d = await rig.scheduler.submit({ type: 'slow' });
    await rig.settle();
    const k = await rig.scheduler.submit({ type: 'quick', key: 'k', dependsOn: [a.job.id, d.job.id], onDependencyFailure: 'continue' });
    const refused = await rig.scheduler.retry(a.job.id).catch((error: unknown) => error);
    await rig.advance(60_000);
    const states = [(await rig.store.get(a.job.id))!.state, (await rig.store.get(k.job.id))!.state];
    await rig.close();
    expect(isBatonError(refused, 'dependency-cycle')).toBe(true);
    expect((refused as DependencyCycleError).cycle).toEqual([a.job.id, k.job.id, a.job.id]);
    expect(states).toEqual(['failed', 'succeeded']);
  });

  // staleAfterLink. A (key k) runs 100 ms and fails. B (key k, delay 1 s) was
  // waiting for A: it is released (scheduled). retry(A): A waits for B.
  // cancel(B): B ended without running, so A is relinked to what B waited
  // for, B's `after`: A itself. A waits for itself forever.
  it('a retried job never waits for itself', async () => {
    let runs = 0;
    const rig = await rigWith((r) => ({
      flaky: async () => {
        await r().sleep(100);
        if (++runs === 1) throw JobError.nonRetryable('the first run fails');
      },
      quick: async () => null,
    }));
    const a = await rig.scheduler.submit({ type: 'flaky', key: 'k' });
    const b = await rig.scheduler.submit({ type: 'quick', key: 'k', delayMs: 1_000 });
    await rig.advance(100);
    await rig.scheduler.retry(a.job.id);
    await rig.scheduler.cancel(b.job.id);
    await rig.advance(60_000);
    const job = (await rig.store.get(a.job.id))!;
    await rig.close();
    expect(job.after).not.toBe(a.job.id);
    expect(job.state).toBe('succeeded'); // got 'waiting', after: its own id
  });

  // readiedByLaterQueue. Queues default and bulk, one slot each. A batch on
  // key k: P (delay 1 s, deadline +300 ms), A (queue bulk, deadline +300 ms),
  // B (queue default). At +300 P fails on its deadline and readies A; the
  // claim pass over bulk (after default's) fails A on its deadline, which
  // readies B in default, whose pass is over. B stays ready with its queue
  // idle and no timer, until something else causes a tick.
  it('a job readied by a claim in another queue is claimed in the same tick', async () => {
    const rig = await rigWith(() => ({ quick: async () => null }), { default: { concurrency: 1 }, bulk: { concurrency: 1 } });
    const now = rig.clock.now();
    const [, , b] = await rig.scheduler.submitAll([
      { type: 'quick', key: 'k', delayMs: 1_000, deadlineAtMs: now + 300 },
      { type: 'quick', key: 'k', queue: 'bulk', deadlineAtMs: now + 300 },
      { type: 'quick', key: 'k' },
    ]);
    await rig.advance(10_000);
    const state = (await rig.store.get(b!.job.id))!.state;
    await rig.close();
    expect(state).toBe('succeeded'); // got 'ready', 10 s later
  });
});
