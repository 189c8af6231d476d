/**
 * Chaos on the network between the offline outbox and the edge: Chromium
 * workers hand jobs to `wrangler dev` through a chaos proxy that, by turns,
 * cuts connections, loses answers after the edge has committed, answers 503
 * with `Retry-After`, or is down altogether; meanwhile the leading worker is
 * terminated mid-delivery now and then. The edge's ledger (the demo's
 * `append` handler, one row per execution, never deduplicated) is the
 * counter: each round ends with every acknowledged outbox entry run at the
 * edge exactly once, in order per key, and its local job succeeded once.
 * `BATON_CHAOS_ROUNDS` sets the rounds, `BATON_CHAOS_SEED` replays a run's
 * plan and the proxy's dice.
 */
import { type BatonClient, connect, toEdge } from '@baton/browser';
import type { JobRecord } from '@baton/core';
import { describe, expect, inject, it } from 'vitest';
import type { ChaosMode, ChaosStats } from '../chaos-proxy.ts';
import { addReports, between, checkLedger, dice, EMPTY_REPORT, type LedgerEntry, type LedgerReport, roundSeed, summary, Tally } from './ledger.ts';

const settings = inject('chaos');
const edge = inject('chaosEdge');
const direct = inject('edgeDirect');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function proxy(mode?: ChaosMode): Promise<ChaosStats> {
  const res = await fetch(`${edge.url}/__chaos`, mode === undefined ? {} : { method: 'POST', body: JSON.stringify(mode) });
  return ((await res.json()) as { stats: ChaosStats }).stats;
}

/** Every execution at the edge of entries under `prefix`, in order (read past the proxy). */
async function edgeLedger(prefix: string): Promise<Array<{ key: string; seq: number }>> {
  const res = await fetch(`${direct}/v1/queues/default/ledger?prefix=${encodeURIComponent(prefix)}`, { headers: { authorization: `Bearer ${edge.token}` } });
  return (await res.json()) as Array<{ key: string; seq: number }>;
}

interface Member {
  readonly name: string;
  readonly client: BatonClient;
  readonly dead: Promise<never>;
  kill(): void;
}

/** A tab's worker that delivers to the edge through the chaos proxy (the outbox suite's fixture). */
function startWorker(name: string, database: string): Member {
  const worker = new Worker(new URL('../browser/fixtures/outbox.worker.ts', import.meta.url), {
    type: 'module',
    name: JSON.stringify({ database, edge: { url: edge.url, token: edge.token } }),
  });
  const client = connect(worker, { persist: false });
  let die!: () => void;
  const dead = new Promise<never>((_, reject) => {
    die = () => reject(new Error('the worker died'));
  });
  dead.catch(() => {});
  return {
    name,
    client,
    dead,
    kill: () => {
      client.close();
      worker.terminate();
      die();
    },
  };
}

async function on<T>(member: Member, call: (client: BatonClient) => Promise<T>, timeoutMs = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from ${member.name} in ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([call(member.client), member.dead, late]);
  } finally {
    clearTimeout(timer);
  }
}

type Edge = { key: string; seq: number };
const logicalOf = (e: Edge) => `${e.key}#${e.seq}`;

async function round(seed: number, n: number, faults: Tally): Promise<LedgerReport> {
  const roll = dice(roundSeed(seed, n));
  const prefix = `net-${seed}-${n}-${Date.now().toString(36)}`;
  const keys = 4;
  const planned: Edge[] = Array.from({ length: settings.long ? 80 : 32 }, (_, i) => ({ key: `${prefix}/k${i % keys}`, seq: Math.floor(i / keys) }));
  const byLogical = new Map(planned.map((e) => [logicalOf(e), e]));
  const pending = planned.map(logicalOf);
  const acceptedAs = new Map<string, string>();
  const violations: string[] = [];

  const submit = async (member: Member, logicals: readonly string[]): Promise<void> => {
    if (logicals.length === 0) return;
    const inputs = logicals.map((l) =>
      toEdge(
        { type: 'append', payload: { ...byLogical.get(l)! } },
        // Short leases: a terminated worker's deliveries are taken up again within seconds. Attempts and
        // backoff sized for a test: what is checked here is once-only delivery, not the retry budget.
        {
          key: byLogical.get(l)!.key,
          idempotencyKey: l,
          leaseMs: 1_500,
          retry: { maxAttempts: 100, backoff: { kind: 'exponential', delayMs: 200, maxDelayMs: 1_500 } },
        },
      ),
    );
    let answers: Array<{ job: JobRecord }>;
    try {
      answers = await on(member, (c) => c.submitAll(inputs));
    } catch {
      faults.add('submit-unanswered');
      return;
    }
    answers.forEach(({ job }, i) => {
      const logical = logicals[i]!;
      const first = acceptedAs.get(logical);
      if (first === undefined) acceptedAs.set(logical, job.id);
      else if (first !== job.id) violations.push(`resubmit made a second job: ${logical} was ${first}, now ${job.id}`);
      const at = pending.indexOf(logical);
      if (at >= 0) pending.splice(at, 1);
    });
  };

  // The first submit to reach the edge loses its answer, whatever the dice: every round meets that fault at least.
  const before = await proxy({ mode: 'up', loseNextSubmits: 1 });
  const database = `${prefix}-db`;
  let named = 0;
  const members = [startWorker(`w${named++}`, database), startWorker(`w${named++}`, database)];
  const inflight: Promise<unknown>[] = [];
  const steps = settings.long ? 60 : 26;
  for (let step = 0; step < steps; step++) {
    // (Every round starts with a submit, then a flaky network: then some chaos is sure to meet some requests.)
    const d = step === 0 ? 50 : step === 1 ? 0 : roll() * 100;
    if (d < 35) {
      // The network changes: for the next while it is flaky (cuts and lost answers), failing (503), down, or fine.
      const m = step === 1 ? 0 : roll();
      const mode: ChaosMode =
        m < 0.45
          ? { mode: 'flaky', cutRequest: 0.05 + roll() * 0.25, loseAnswer: 0.05 + roll() * 0.3, seed: between(roll, 1, 2 ** 30) }
          : m < 0.65
            ? { mode: 'error', retryAfterS: 1 }
            : m < 0.85
              ? { mode: 'down' }
              : { mode: 'up' };
      await proxy(mode);
      faults.add(`network-${mode.mode}-period`);
      await sleep(between(roll, 100, 700));
    } else if (d < 65) {
      // Submits go out without waiting for their answers, so a kill can land in the middle of one.
      inflight.push(submit(members[between(roll, 0, members.length - 1)]!, pending.slice(0, between(roll, 1, 6))));
      await sleep(between(roll, 0, 50));
    } else if (d < 78) {
      const roles = await Promise.all(members.map((m) => on(m, (c) => c.role(), 2_000).catch(() => null)));
      const leader = roles.indexOf('leader');
      const victim = leader >= 0 && roll() < 0.8 ? leader : between(roll, 0, members.length - 1);
      members[victim]!.kill();
      members[victim] = startWorker(`w${named++}`, database);
      faults.add(`worker-terminated:${victim === leader ? 'leader' : 'follower'}`);
    } else {
      await sleep(between(roll, 20, 200));
    }
  }

  // Calm: the network is fine again; what was never acknowledged is sent again until it is.
  await proxy({ mode: 'up' });
  await Promise.allSettled(inflight);
  // What is still open at the deadline is reported lost by the check.
  let jobs: JobRecord[] = [];
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    await submit(members[0]!, [...pending]);
    jobs = await on(members[0]!, async (c) => [...(await c.list({ limit: 1000 })).jobs]).catch(() => jobs);
    if (pending.length === 0 && jobs.length > 0 && jobs.every((j) => ['succeeded', 'failed', 'cancelled'].includes(j.state))) break;
    await sleep(200);
  }
  const after = await proxy();
  faults.add('connection-cut', after.cut - before.cut);
  faults.add('answer-lost', after.lostAnswers - before.lostAnswers);
  faults.add('answered-503', after.errors - before.errors);
  for (const member of members) member.kill();

  // The edge's ledger as effects: one per execution there (the edge does not deduplicate it), keyed by entry.
  const executions = await edgeLedger(prefix);
  const localOf = new Map(jobs.map((j) => [logicalOf((j.payload as { payload: Edge }).payload), j]));
  const seen = new Map<string, number>();
  const entries: LedgerEntry[] = executions.map((e) => {
    const logical = logicalOf(e);
    const nth = (seen.get(logical) ?? 0) + 1;
    seen.set(logical, nth);
    const jobId = localOf.get(logical)?.id ?? '(none)';
    return { kind: 'effect', logical, jobId, step: 'append', idempotencyKey: `${logical} execution ${nth}`, attempt: nth, runner: 'edge', beganAtMs: 0 };
  });
  const report = checkLedger({
    accepted: [...acceptedAs.keys()],
    jobs: jobs.map((j) => ({ id: j.id, state: j.state, attempt: j.attempt, logical: logicalOf((j.payload as { payload: Edge }).payload) })),
    entries,
    steps: ['append'],
  });
  // In order per key: the edge ran each key's entries in the order the browser admitted them (time-sortable ids).
  for (let k = 0; k < keys; k++) {
    const key = `${prefix}/k${k}`;
    const admitted = jobs
      .filter((j) => (j.payload as { payload: Edge }).payload.key === key)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((j) => logicalOf((j.payload as { payload: Edge }).payload));
    const ran = executions.filter((e) => e.key === key).map(logicalOf);
    if (JSON.stringify(ran) !== JSON.stringify(admitted))
      violations.push(`out of order at the edge for ${key}: admitted ${admitted.join(' ')}, ran ${ran.join(' ')}`);
  }
  const deduplicated = jobs.filter((j) => (j.result as { deduplicated?: boolean } | null)?.deduplicated === true).length;
  faults.add('replay-deduplicated-at-edge', deduplicated);
  if (pending.length > 0)
    violations.push(`never acknowledged: ${pending.length} entries sent again and again through the calm (${pending.slice(0, 3).join(', ')}, …)`);
  return { ...report, violations: [...report.violations, ...violations] };
}

describe('chaos on the network: the outbox to wrangler dev through cuts, lost answers, 503s and outages', () => {
  it('runs every acknowledged entry at the edge exactly once, in order per key, and finishes it once locally', async () => {
    const started = Date.now();
    const faults = new Tally();
    let report = EMPTY_REPORT;
    for (let n = 0; n < settings.rounds; n++) report = addReports(report, await round(settings.seed, n, faults));
    console.log(summary('network', settings, faults, report, Date.now() - started));
    expect(report.violations).toEqual([]);
    expect(report.lost).toBe(0);
    expect(report.duplicates).toBe(0);
    expect(report.finished).toBe(report.accepted + report.storedUnanswered);
    expect(report.executions).toBe(report.accepted); // each ran once at the edge: no replay ran it again
    expect(faults.get('connection-cut') + faults.get('answer-lost') + faults.get('answered-503')).toBeGreaterThan(0);
  }, 900_000);
});
