/**
 * Priority under overload, in virtual time: arrivals at 1.5× capacity for
 * 60 s, 20 % of attempts failing transiently, 10 slots and 10 ms of work
 * per attempt. Two mixes: "mixed" (10 % critical, 30 % normal, 60 %
 * background: the top two classes fit in capacity) and "starving" (the top
 * two classes alone are 1.2× capacity: whatever strict priority gives the
 * background class is nothing). Baton (weighted class shares, retries with
 * backoff) against p-queue (strict priorities, a failed task re-added at
 * its priority) and a FIFO (p-queue without priorities).
 */
import FakeTimers from '@sinonjs/fake-timers';
import { DEFAULT_SHARES, Priority } from '@baton/core';
import { SeededRandom } from '@baton/core/testing';
import PQueue from 'p-queue';
import { table, printGoals } from '../lib/stats.ts';
import { simScheduler } from './sim-scheduler.ts';

const SLOTS = 10;
const WORK_MS = 10;
const RATE_PER_S = 1500; // capacity is SLOTS / WORK_MS = 1000 attempts/s
const RUN_MS = 60_000;
const WINDOW_MS = 1_000;

const CLASSES = [
  { name: 'critical', priority: Priority.critical },
  { name: 'normal', priority: Priority.normal },
  { name: 'background', priority: Priority.background },
] as const;

export interface Mix {
  readonly name: string;
  /** Fraction of arrivals per class, in `CLASSES` order. */
  readonly fractions: readonly [number, number, number];
}

export const MIXES: readonly Mix[] = [
  { name: 'mixed', fractions: [0.1, 0.3, 0.6] },
  { name: 'starving', fractions: [0.3, 0.5, 0.2] },
];

type SystemName = 'baton' | 'p-queue' | 'fifo';
const SYSTEMS: readonly SystemName[] = ['baton', 'p-queue', 'fifo'];

interface Job {
  readonly cls: number;
  readonly submittedMs: number;
  startedMs: number;
}

export interface OverloadRow {
  readonly mix: string;
  readonly system: string;
  readonly cls: string;
  readonly jobs: number;
  readonly started: number;
  readonly waitP50Ms: number | null;
  readonly waitP99Ms: number | null;
  /** The longest wait of any job of the class: started ones, and the oldest still waiting at the end. */
  readonly longestWaitMs: number;
  /**
   * The class's smallest share of attempt starts in any 1 s window in which
   * it had work waiting throughout: what the stated minimum service rate is
   * about.
   */
  readonly minWindowShare: number | null;
}

export interface OverloadReport {
  readonly rows: OverloadRow[];
  /** Jobs finished per second, by mix and system. */
  readonly goodput: Record<string, Record<string, number>>;
  readonly goals: Array<{ goal: string; value: string; met: boolean }>;
}

interface Simulated {
  readonly jobs: Job[];
  /** Attempt starts: [ms, class]. */
  readonly starts: Array<[number, number]>;
  readonly finished: number;
  readonly endMs: number;
}

async function simulate(mix: Mix, system: SystemName): Promise<Simulated> {
  const start = 1_800_000_000_000;
  const clock = FakeTimers.install({ now: start, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  try {
    const random = new SeededRandom(42);
    const jobs: Job[] = [];
    const starts: Array<[number, number]> = [];
    let finished = 0;
    const work = async (job: Job): Promise<void> => {
      const now = Date.now() - start;
      if (job.startedMs < 0) job.startedMs = now;
      starts.push([now, job.cls]);
      await new Promise((r) => setTimeout(r, WORK_MS));
      if (random.next() < 0.2) throw Object.assign(new Error('transient'), { status: 503 });
      finished++;
    };
    let submit: (job: Job, i: number) => void;
    if (system === 'baton') {
      const scheduler = simScheduler(7, SLOTS, {
        retry: { maxAttempts: 100, backoff: { kind: 'exponential', delayMs: 50, maxDelayMs: 2_000 } },
        handlers: { work: async (p: { i: number }) => work(jobs[p.i]!) },
      });
      submit = (job, i) => void scheduler.submit({ type: 'work', payload: { i }, priority: CLASSES[job.cls]!.priority });
    } else {
      const queue = new PQueue({ concurrency: SLOTS });
      const priority = (job: Job) => (system === 'fifo' ? 0 : CLASSES[job.cls]!.priority);
      const add = (job: Job): void => void queue.add(() => work(job), { priority: priority(job) }).catch(() => add(job)); // retry: back in at its priority
      submit = add;
    }
    const perTick = (RATE_PER_S * 10) / 1000;
    const [critical, normal] = mix.fractions;
    for (let t = 0; t < RUN_MS; t += 10) {
      for (let k = 0; k < perTick; k++) {
        const r = random.next();
        const job: Job = { cls: r < critical ? 0 : r < critical + normal ? 1 : 2, submittedMs: t, startedMs: -1 };
        jobs.push(job);
        submit(job, jobs.length - 1);
      }
      await clock.tickAsync(10);
    }
    return { jobs, starts, finished, endMs: Date.now() - start };
  } finally {
    clock.uninstall();
  }
}

function quantile(sorted: readonly number[], q: number): number | null {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** The class's smallest share of starts over the 1 s windows in which it had a job waiting from start to end. */
function minWindowShare(sim: Simulated, cls: number): number | null {
  let min: number | null = null;
  for (let from = 0; from + WINDOW_MS <= RUN_MS; from += WINDOW_MS) {
    const to = from + WINDOW_MS;
    // Waiting throughout: some job of the class submitted by `from` had not started by `to`.
    const backlogged = sim.jobs.some((j) => j.cls === cls && j.submittedMs <= from && (j.startedMs < 0 || j.startedMs >= to));
    if (!backlogged) continue;
    const inWindow = sim.starts.filter(([ms]) => ms >= from && ms < to);
    const share = inWindow.filter(([, c]) => c === cls).length / Math.max(1, inWindow.length);
    min = min === null ? share : Math.min(min, share);
  }
  return min;
}

export async function runOverload(): Promise<OverloadReport> {
  const rows: OverloadRow[] = [];
  const goodput: Record<string, Record<string, number>> = {};
  for (const mix of MIXES) {
    goodput[mix.name] = {};
    for (const system of SYSTEMS) {
      const sim = await simulate(mix, system);
      goodput[mix.name]![system] = sim.finished / (sim.endMs / 1000);
      CLASSES.forEach((cls, c) => {
        const mine = sim.jobs.filter((j) => j.cls === c);
        const started = mine.filter((j) => j.startedMs >= 0);
        const waits = started.map((j) => j.startedMs - j.submittedMs).sort((a, b) => a - b);
        const oldestWaiting = Math.max(0, ...mine.filter((j) => j.startedMs < 0).map((j) => sim.endMs - j.submittedMs));
        rows.push({
          mix: mix.name,
          system,
          cls: cls.name,
          jobs: mine.length,
          started: started.length,
          waitP50Ms: quantile(waits, 0.5),
          waitP99Ms: quantile(waits, 0.99),
          longestWaitMs: Math.max(waits.at(-1) ?? 0, oldestWaiting),
          minWindowShare: minWindowShare(sim, c),
        });
      });
    }
  }
  const row = (mix: string, system: string, cls: string) => rows.find((r) => r.mix === mix && r.system === system && r.cls === cls)!;
  const backgroundShare = DEFAULT_SHARES[Priority.background]!;
  const goals: OverloadReport['goals'] = [];
  for (const { name } of MIXES) {
    const baton = (cls: string) => row(name, 'baton', cls);
    const pq = (cls: string) => row(name, 'p-queue', cls);
    goals.push(
      {
        goal: `${name}: critical p99 wait ≤ 2× p-queue's`,
        value: `${baton('critical').waitP99Ms} ms vs ${pq('critical').waitP99Ms} ms`,
        met: baton('critical').waitP99Ms! <= 2 * Math.max(pq('critical').waitP99Ms!, WORK_MS),
      },
      {
        goal: `${name}: background gets ≥ its share (${backgroundShare * 100} %) of starts in every 1 s window it waits through`,
        value: `lowest ${pct(baton('background').minWindowShare)} (p-queue ${pct(pq('background').minWindowShare)}, FIFO ${pct(row(name, 'fifo', 'background').minWindowShare)})`,
        met: (baton('background').minWindowShare ?? 1) >= backgroundShare - 5 / (SLOTS * (WINDOW_MS / WORK_MS)),
      },
      {
        goal: `${name}: goodput (jobs finished per second) ≥ p-queue's`,
        value: `${goodput[name]!.baton!.toFixed(0)}/s vs ${goodput[name]!['p-queue']!.toFixed(0)}/s`,
        met: goodput[name]!.baton! >= goodput[name]!['p-queue']! * 0.99,
      },
    );
  }
  return { rows, goodput, goals };
}

function pct(share: number | null): string {
  return share === null ? '—' : `${(100 * share).toFixed(1)} %`;
}

export function printOverload(r: OverloadReport): void {
  console.log(
    `\npriority under overload: arrivals at 1.5× capacity for 60 s, 20 % transient failures, virtual time; mixed = 10/30/60 %, starving = 30/50/20 % critical/normal/background`,
  );
  console.log(
    table(
      ['mix', 'system', 'class', 'jobs', 'started', 'wait p50', 'wait p99', 'longest wait', 'lowest 1 s share'],
      r.rows.map((x) => [
        x.mix,
        x.system,
        x.cls,
        String(x.jobs),
        String(x.started),
        `${x.waitP50Ms ?? '—'} ms`,
        `${x.waitP99Ms ?? '—'} ms`,
        `${x.longestWaitMs} ms`,
        pct(x.minWindowShare),
      ]),
    ),
  );
  printGoals(r.goals);
}
