/**
 * Backpressure, in virtual time: a producer submitting at 3× capacity for
 * 60 s (10 slots, 10 ms of work a job) against `maxUnfinished: 1,000`, and
 * the same producer with no limit. What is stored and held in memory stays
 * flat with the limit and grows without it; every accepted job finishes;
 * every refusal is a typed, retryable `queue-full`.
 */
import FakeTimers from '@sinonjs/fake-timers';
import { isBatonError } from '@baton/core';
import { type Goal, printGoals, table } from '../lib/stats.ts';
import { simScheduler } from './sim-scheduler.ts';

const SLOTS = 10;
const WORK_MS = 10;
const RATE_PER_S = 3_000; // capacity is 1,000/s
const RUN_MS = 60_000;
const LIMIT = 1_000;

export interface BackpressureRow {
  readonly limit: number | null;
  readonly submitted: number;
  readonly accepted: number;
  readonly refused: number;
  /** Refusals that were not a retryable `queue-full` with a retry-after hint. */
  readonly untyped: number;
  readonly finished: number;
  /** The most unfinished jobs the store held at any 1 s mark, and at the end. */
  readonly peakUnfinished: number;
  readonly endUnfinished: number;
  /** Heap in use at the end of the 60 s, MiB (the scheduler and its store only differ between the runs). */
  readonly heapMiB: number;
}

async function run(limit: number | null): Promise<BackpressureRow> {
  const start = 1_800_000_000_000;
  const clock = FakeTimers.install({ now: start, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  try {
    let finished = 0;
    const scheduler = simScheduler(3, SLOTS, {
      ...(limit === null ? {} : { backpressure: { maxUnfinished: limit, retryAfterMs: 100 } }),
      handlers: {
        work: async () => {
          await new Promise((r) => setTimeout(r, WORK_MS));
          finished++;
        },
      },
    });
    let submitted = 0;
    let accepted = 0;
    let refused = 0;
    let untyped = 0;
    let peak = 0;
    const perTick = (RATE_PER_S * 10) / 1000;
    for (let t = 0; t < RUN_MS; t += 10) {
      for (let k = 0; k < perTick; k++) {
        submitted++;
        scheduler.submit({ type: 'work' }).then(
          () => accepted++,
          (error: unknown) => {
            refused++;
            if (!isBatonError(error, 'queue-full') || !error.retryable || error.retryAfterMs === undefined) untyped++;
          },
        );
      }
      await clock.tickAsync(10);
      if (t % 1_000 === 0) peak = Math.max(peak, (await scheduler.metrics()).backpressure.unfinished);
    }
    const endUnfinished = (await scheduler.metrics()).backpressure.unfinished;
    const heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
    // Drain what was accepted.
    while ((await scheduler.metrics()).backpressure.unfinished > 0) await clock.tickAsync(100);
    await scheduler.stop();
    return { limit, submitted, accepted, refused, untyped, finished, peakUnfinished: peak, endUnfinished, heapMiB };
  } finally {
    clock.uninstall();
  }
}

export async function runBackpressure(): Promise<{ rows: BackpressureRow[]; goals: Goal[] }> {
  const rows: BackpressureRow[] = [];
  for (const limit of [LIMIT, null]) {
    globalThis.gc?.();
    rows.push(await run(limit));
  }
  const [limited, open] = rows as [BackpressureRow, BackpressureRow];
  const goals: Goal[] = [
    {
      goal: `3× capacity for 60 s against maxUnfinished ${LIMIT}: unfinished jobs stay within the limit`,
      value: `peak ${limited.peakUnfinished}, end ${limited.endUnfinished} (no limit: peak ${open.peakUnfinished.toLocaleString('en')})`,
      met: limited.peakUnfinished <= LIMIT,
    },
    { goal: 'no accepted job lost', value: `${limited.finished} finished of ${limited.accepted} accepted`, met: limited.finished === limited.accepted },
    {
      goal: 'every refusal typed and retryable, with a hint',
      value: `${limited.refused.toLocaleString('en')} refused, ${limited.untyped} untyped`,
      met: limited.untyped === 0,
    },
  ];
  return { rows, goals };
}

export function printBackpressure(r: { rows: BackpressureRow[]; goals: Goal[] }): void {
  console.log(`\nbackpressure: a producer at 3× capacity for 60 s (${SLOTS} slots × ${WORK_MS} ms), virtual time`);
  console.log(
    table(
      ['limit', 'submitted', 'accepted', 'refused', 'finished', 'peak unfinished', 'heap at 60 s'],
      r.rows.map((x) => [
        x.limit === null ? 'none' : String(x.limit),
        x.submitted.toLocaleString('en'),
        x.accepted.toLocaleString('en'),
        x.refused.toLocaleString('en'),
        x.finished.toLocaleString('en'),
        x.peakUnfinished.toLocaleString('en'),
        `${x.heapMiB.toFixed(0)} MiB`,
      ]),
    ),
  );
  printGoals(r.goals);
}
