/**
 * Priority under overload, in virtual time: arrivals at 1.5× capacity for
 * 60 s, 10 % critical, 30 % normal, 60 % background, 20 % of attempts
 * failing transiently. Baton (aging, retries with backoff) against p-queue
 * (strict priorities, a failed task re-added at its priority), both with
 * 10 slots and 10 ms of work per attempt.
 */
import FakeTimers from '@sinonjs/fake-timers';
import { createRandom, createScheduler, MemoryStore, Priority } from '@baton/core';
import { systemClock } from '@baton/core/system';
import { SeededRandom } from '@baton/core/testing';
import PQueue from 'p-queue';
import { table } from '../lib/stats.ts';

const SLOTS = 10;
const WORK_MS = 10;
const RATE_PER_S = 1500; // capacity is SLOTS / WORK_MS = 1000/s
const RUN_MS = 60_000;
const AGING_STEP_MS = 2_000;
const CLASSES = [
  { name: 'critical', priority: Priority.critical, share: 0.1 },
  { name: 'normal', priority: Priority.normal, share: 0.3 },
  { name: 'background', priority: Priority.background, share: 0.6 },
] as const;

interface Job {
  readonly cls: number;
  readonly submittedMs: number;
  startedMs: number;
}

export interface OverloadRow {
  readonly system: string;
  readonly cls: string;
  readonly jobs: number;
  readonly started: number;
  readonly waitP50Ms: number | null;
  readonly waitP99Ms: number | null;
  /** The longest wait of any job of the class: started ones, and the oldest still waiting at the end. */
  readonly longestWaitMs: number;
}

export interface OverloadReport {
  readonly rows: OverloadRow[];
  readonly goodput: Record<string, number>;
  readonly agingBoundMs: number;
  readonly goals: Array<{ goal: string; value: string; met: boolean }>;
}

function pick(r: number): number {
  return r < 0.1 ? 0 : r < 0.4 ? 1 : 2;
}

async function simulate(system: 'baton' | 'p-queue'): Promise<{ jobs: Job[]; calls: number; successes: number; endMs: number }> {
  const start = 1_800_000_000_000;
  const clock = FakeTimers.install({ now: start, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  try {
    const random = new SeededRandom(42);
    const jobs: Job[] = [];
    let calls = 0;
    let successes = 0;
    const work = async (job: Job): Promise<void> => {
      if (job.startedMs < 0) job.startedMs = Date.now() - start;
      calls++;
      await new Promise((r) => setTimeout(r, WORK_MS));
      if (random.next() < 0.2) throw Object.assign(new Error('transient'), { status: 503 });
      successes++;
    };
    let submit: (job: Job) => void;
    if (system === 'baton') {
      const seeded = new SeededRandom(7);
      const scheduler = createScheduler({
        store: new MemoryStore(),
        clock: systemClock(),
        random: createRandom(() => seeded.next()),
        queues: { default: { concurrency: SLOTS } },
        agingStepMs: AGING_STEP_MS,
        keepSucceeded: false,
        retry: { maxAttempts: 100, backoff: { kind: 'exponential', delayMs: 50, maxDelayMs: 2_000 } },
        handlers: { work: async (p: { i: number }) => work(jobs[p.i]!) },
      });
      submit = (job) => void scheduler.submit({ type: 'work', payload: { i: jobs.length - 1 }, priority: CLASSES[job.cls]!.priority });
    } else {
      const queue = new PQueue({ concurrency: SLOTS });
      const add = (job: Job): void => void queue.add(() => work(job), { priority: CLASSES[job.cls]!.priority }).catch(() => add(job)); // retry: back in at its priority
      submit = add;
    }
    const perTick = (RATE_PER_S * 10) / 1000;
    for (let t = 0; t < RUN_MS; t += 10) {
      for (let k = 0; k < perTick; k++) {
        const job: Job = { cls: pick(random.next()), submittedMs: t, startedMs: -1 };
        jobs.push(job);
        submit(job);
      }
      await clock.tickAsync(10);
    }
    return { jobs, calls, successes, endMs: Date.now() - start };
  } finally {
    clock.uninstall();
  }
}

function quantile(sorted: readonly number[], q: number): number | null {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

export async function runOverload(): Promise<OverloadReport> {
  const rows: OverloadRow[] = [];
  const goodput: Record<string, number> = {};
  for (const system of ['baton', 'p-queue'] as const) {
    const { jobs, calls, successes, endMs } = await simulate(system);
    goodput[system] = successes / Math.max(1, calls);
    CLASSES.forEach((cls, c) => {
      const mine = jobs.filter((j) => j.cls === c);
      const started = mine.filter((j) => j.startedMs >= 0);
      const waits = started.map((j) => j.startedMs - j.submittedMs).sort((a, b) => a - b);
      const oldestWaiting = Math.max(0, ...mine.filter((j) => j.startedMs < 0).map((j) => endMs - j.submittedMs));
      rows.push({
        system,
        cls: cls.name,
        jobs: mine.length,
        started: started.length,
        waitP50Ms: quantile(waits, 0.5),
        waitP99Ms: quantile(waits, 0.99),
        longestWaitMs: Math.max(waits.at(-1) ?? 0, oldestWaiting),
      });
    });
  }
  const row = (system: string, cls: string) => rows.find((r) => r.system === system && r.cls === cls)!;
  const agingBoundMs = 4 * AGING_STEP_MS;
  const goals = [
    {
      goal: 'critical p99 wait ≤ 0.5× p-queue',
      value: `${row('baton', 'critical').waitP99Ms} ms vs ${row('p-queue', 'critical').waitP99Ms} ms`,
      met: row('baton', 'critical').waitP99Ms! <= 0.5 * row('p-queue', 'critical').waitP99Ms!,
    },
    {
      goal: `background longest wait within the aging bound (${agingBoundMs} ms of later arrivals)`,
      value: `${row('baton', 'background').longestWaitMs} ms (p-queue ${row('p-queue', 'background').longestWaitMs} ms)`,
      met: row('baton', 'background').longestWaitMs <= agingBoundMs,
    },
    {
      goal: 'goodput ≥ 95 %',
      value: `${(100 * goodput.baton!).toFixed(1)} % (p-queue ${(100 * goodput['p-queue']!).toFixed(1)} %)`,
      met: goodput.baton! >= 0.95,
    },
  ];
  return { rows, goodput, agingBoundMs, goals };
}

export function printOverload(r: OverloadReport): void {
  console.log(`\npriority under overload: arrivals at 1.5× capacity for 60 s (10/30/60 % critical/normal/background), 20 % transient failures, virtual time`);
  console.log(
    table(
      ['system', 'class', 'jobs', 'started', 'wait p50', 'wait p99', 'longest wait'],
      r.rows.map((x) => [x.system, x.cls, String(x.jobs), String(x.started), `${x.waitP50Ms ?? '—'} ms`, `${x.waitP99Ms ?? '—'} ms`, `${x.longestWaitMs} ms`]),
    ),
  );
  console.log(
    '\n' +
      table(
        ['goal', 'measured', 'met'],
        r.goals.map((g) => [g.goal, g.value, g.met ? 'yes' : 'NO']),
      ),
  );
}
