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
import { MemoryStore } from '@baton/core';
import { DeferredClaims } from '@baton/core/advanced';
import type { StoreHarness } from '@baton/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idbHarness } from '../idb-harness.ts';
import { addStats, emptyStats, type RunStats, runWorkload } from './run-workload.ts';
import { describeWorkload, type Workload, workload } from './workload.ts';

const RUNS = Number(process.env.BATON_PROPERTY_RUNS ?? 300);
const SEED = Number(process.env.BATON_PROPERTY_SEED ?? 20_261_129);
const PATH = process.env.BATON_PROPERTY_PATH;

const memoryHarness: StoreHarness = { open: async () => new MemoryStore(), reopen: async (store) => store };
/** Claims kept in a journal over the memory store: a crash loses what was held in memory, and the journal is replayed. */
const journaledHarness: StoreHarness = {
  open: async () => new DeferredClaims(new MemoryStore()),
  reopen: async (store) => {
    const reopened = new DeferredClaims((store as DeferredClaims).store);
    await reopened.recover();
    return reopened;
  },
};

let databases = 0;
/** A fresh IndexedDB database per run, deleted after it. */
async function withIndexedDb<T>(fn: (harness: StoreHarness) => Promise<T>, exclusive = false): Promise<T> {
  const prefix = `baton-property-${++databases}`;
  try {
    return await fn(idbHarness(prefix, exclusive));
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
  // As the leader tab opens it: one writer, claims journaled.
  'indexeddb, exclusive writer': {
    runs: Math.max(1, Math.ceil(RUNS / 6)),
    arbitrary: workload(),
    run: (w) => withIndexedDb((h) => runWorkload(h, w), true),
  },
  'memory, claims journaled': { runs: RUNS, arbitrary: workload(), run: (w) => runWorkload(journaledHarness, w) },
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
// Each violation the model check found is now a conformance case, run on every
// store: packages/core/src/testing/conformance/dead-letter-retry.ts (retry()
// inside keys and graphs), dependencies.ts ("a cancelled dependency fails its
// dependent at once, even one relinked in its key") and claim-order.ts ("claims,
// in the same tick, a job readied by a claim-time failure…", and "…holds it to the
// per-key concurrency": jobs without a fairness key were held to the per-key limit
// as if none were one key, and left a slot idle beside them).
