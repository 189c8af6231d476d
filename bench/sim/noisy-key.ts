/**
 * One noisy key, in virtual time: a tenant submitting 10× the rate of each
 * of 9 quiet tenants, 1.5× capacity in all, for 60 s (10 slots, 10 ms of
 * work per job). What the quiet tenants wait, with the noisy one and
 * without it, under Baton's fair keys (each tenant a `fairnessKey`), and
 * under p-queue and a FIFO given the same load (neither has keys).
 */
import FakeTimers from '@sinonjs/fake-timers';
import { SeededRandom } from '@baton/core/testing';
import PQueue from 'p-queue';
import { table, printGoals } from '../lib/stats.ts';
import { simScheduler } from './sim-scheduler.ts';

const SLOTS = 10;
const WORK_MS = 10;
const RUN_MS = 60_000;
const QUIET_KEYS = 9;
/** Arrivals per second: the noisy key at 10× a quiet one, 1,500/s together. */
const QUIET_RATE = 1500 / (QUIET_KEYS + 10);
const NOISY_RATE = 10 * QUIET_RATE;

type SystemName = 'baton' | 'p-queue' | 'fifo';

interface Job {
  readonly key: string;
  readonly submittedMs: number;
  startedMs: number;
}

export interface NoisyRow {
  readonly system: string;
  readonly noisy: boolean;
  readonly quietJobs: number;
  readonly quietP50Ms: number | null;
  readonly quietP99Ms: number | null;
  readonly quietLongestMs: number;
  readonly noisyStarted: number;
}

export interface NoisyReport {
  readonly rows: NoisyRow[];
  readonly goals: Array<{ goal: string; value: string; met: boolean }>;
}

async function simulate(system: SystemName, withNoisy: boolean): Promise<Job[]> {
  const start = 1_800_000_000_000;
  const clock = FakeTimers.install({ now: start, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  try {
    const random = new SeededRandom(11);
    const jobs: Job[] = [];
    const work = async (job: Job): Promise<void> => {
      job.startedMs = Date.now() - start;
      await new Promise((r) => setTimeout(r, WORK_MS));
    };
    let submit: (job: Job, i: number) => void;
    if (system === 'baton') {
      const scheduler = simScheduler(7, SLOTS, { handlers: { work: async (p: { i: number }) => work(jobs[p.i]!) } });
      submit = (job, i) => void scheduler.submit({ type: 'work', payload: { i }, fairnessKey: job.key });
    } else {
      // p-queue without priorities is a FIFO too: both are here so the table shows the peer by name.
      const queue = new PQueue({ concurrency: SLOTS });
      submit = (job) => void queue.add(() => work(job));
    }
    // Poisson-ish arrivals per 10 ms tick, from the same seed whichever keys are present.
    const quietPerTick = (QUIET_RATE * 10) / 1000;
    const noisyPerTick = (NOISY_RATE * 10) / 1000;
    const arrivals = (mean: number) => {
      let n = Math.floor(mean);
      if (random.next() < mean - n) n++;
      return n;
    };
    for (let t = 0; t < RUN_MS; t += 10) {
      const batch: Job[] = [];
      for (let k = 0; k < QUIET_KEYS; k++) for (let n = arrivals(quietPerTick); n > 0; n--) batch.push({ key: `quiet-${k}`, submittedMs: t, startedMs: -1 });
      const noisy = arrivals(noisyPerTick);
      if (withNoisy) for (let n = noisy; n > 0; n--) batch.push({ key: 'noisy', submittedMs: t, startedMs: -1 });
      // The noisy tenant's burst lands first in each tick: the worst case for a FIFO.
      batch.sort((a, b) => (a.key === 'noisy' ? -1 : 0) - (b.key === 'noisy' ? -1 : 0));
      for (const job of batch) {
        jobs.push(job);
        submit(job, jobs.length - 1);
      }
      await clock.tickAsync(10);
    }
    return jobs;
  } finally {
    clock.uninstall();
  }
}

function quantile(sorted: readonly number[], q: number): number | null {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

export async function runNoisyKey(): Promise<NoisyReport> {
  const rows: NoisyRow[] = [];
  for (const system of ['baton', 'p-queue', 'fifo'] as const) {
    for (const noisy of [false, true]) {
      if (system === 'fifo' && !noisy) continue; // the same as p-queue without the noisy key
      const jobs = await simulate(system, noisy);
      const end = RUN_MS;
      const quiet = jobs.filter((j) => j.key !== 'noisy');
      const waits = quiet
        .filter((j) => j.startedMs >= 0)
        .map((j) => j.startedMs - j.submittedMs)
        .sort((a, b) => a - b);
      const unstarted = quiet.filter((j) => j.startedMs < 0).map((j) => end - j.submittedMs);
      rows.push({
        system,
        noisy,
        quietJobs: quiet.length,
        quietP50Ms: quantile(waits, 0.5),
        quietP99Ms: quantile(waits, 0.99),
        quietLongestMs: Math.max(waits.at(-1) ?? 0, ...unstarted),
        noisyStarted: jobs.filter((j) => j.key === 'noisy' && j.startedMs >= 0).length,
      });
    }
  }
  const row = (system: string, noisy: boolean) => rows.find((r) => r.system === system && r.noisy === noisy)!;
  const alone = row('baton', false).quietP99Ms!;
  const crowded = row('baton', true).quietP99Ms!;
  const goals = [
    {
      goal: "quiet keys' p99 wait with the noisy key ≤ 1.5× without it",
      value: `${crowded} ms vs ${alone} ms (p-queue ${row('p-queue', true).quietP99Ms} ms vs ${row('p-queue', false).quietP99Ms} ms)`,
      met: crowded <= 1.5 * Math.max(alone, WORK_MS),
    },
  ];
  return { rows, goals };
}

export function printNoisyKey(r: NoisyReport): void {
  console.log(
    `\none noisy key: 1 key at 10× the rate of each of ${QUIET_KEYS} quiet keys, 1.5× capacity together, 60 s, ${SLOTS} slots × ${WORK_MS} ms, virtual time`,
  );
  console.log(
    table(
      ['system', 'noisy key', 'quiet jobs', 'quiet wait p50', 'quiet wait p99', 'quiet longest', 'noisy jobs started'],
      r.rows.map((x) => [
        x.system,
        x.noisy ? 'yes' : 'no',
        String(x.quietJobs),
        `${x.quietP50Ms ?? '—'} ms`,
        `${x.quietP99Ms ?? '—'} ms`,
        `${x.quietLongestMs} ms`,
        String(x.noisyStarted),
      ]),
    ),
  );
  printGoals(r.goals);
}
