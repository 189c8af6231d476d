/**
 * Chaos in workerd: a scheduler Durable Object reset mid-handler (its
 * handlers awaiting timers or the ledger) with `abortAllDurableObjects`,
 * reset mid-tick from inside its commit (just before or just after the
 * batch is written), its alarm delivered late, twice (in turn and at once),
 * early or not at all, and submits cut by resets and sent again. Each round
 * ends with the exactly-once ledger check (see ledger.ts).
 * `BATON_CHAOS_ROUNDS` sets the rounds, `BATON_CHAOS_SEED` replays a run.
 *
 * Mid-tick resets use `ctx.abort()`, the object's own reset (what
 * `abortAllDurableObjects` does to every object): SQL is synchronous, so a
 * tick runs in one turn and a reset from the test's turn can only land
 * between ticks, and `abortAllDurableObjects` called from inside the
 * object's turn crashes workerd ("Promise callback destroyed itself").
 * workerd logs each such reset as an "uncaught exception …
 * outputGateBroken; jsg.Error: chaos: reset mid-tick": expected output.
 */
import { env } from 'cloudflare:workers';
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import type { JobRecord } from '@baton/core';
import type { SchedulerRpc } from '@baton/edge';
import { describe, expect, inject, it } from 'vitest';
import { type ChaosPayload, chaosHooks, type CommitPoint, LEASE_MS, STEPS } from './edge-objects.ts';
import { addReports, between, checkLedger, dice, EMPTY_REPORT, type LedgerEntry, type LedgerReport, roundSeed, summary, Tally } from './ledger.ts';

interface ChaosJobsRpc extends SchedulerRpc {
  advance(ms: number): Promise<number>;
  time(): Promise<{ nowMs: number; alarmMs: number | null }>;
  liveCount(): Promise<number>;
}

interface LedgerRpc {
  entries(): Promise<LedgerEntry[]>;
}

const settings = inject('chaos');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh stub for each call: a reset breaks the stubs that were open. */
const objects = (name: string) => env.CHAOS_JOBS.get(env.CHAOS_JOBS.idFromName(name)) as unknown as ChaosJobsRpc;
const ledgerOf = (name: string) => env.CHAOS_LEDGER.get(env.CHAOS_LEDGER.idFromName(name)) as unknown as LedgerRpc;

/** Every job the object holds. */
async function allJobs(name: string): Promise<JobRecord[]> {
  const jobs: JobRecord[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await objects(name).list(cursor === undefined ? { limit: 100 } : { limit: 100, cursor });
    if (!page.ok) throw new Error(page.error.message);
    jobs.push(...page.value.jobs);
    if (page.value.cursor === null) return jobs;
    cursor = page.value.cursor;
  }
}

async function round(seed: number, n: number, faults: Tally): Promise<LedgerReport> {
  const roll = dice(roundSeed(seed, n));
  const name = `chaos-${seed}-${n}`;
  const ledger = `${name}-ledger`;
  const planned = new Map<string, ChaosPayload>();
  for (let i = 0; i < (settings.long ? 80 : 40); i++) {
    const logical = `${name}/L${i}`;
    planned.set(logical, {
      logical,
      ledger,
      ms: between(roll, 0, 12),
      failFirst: roll() < 0.2,
      fail: roll() < 0.05,
      key: roll() < 0.4 ? `k${between(roll, 0, 2)}` : null,
    });
  }
  const pending = [...planned.keys()];
  const acceptedAs = new Map<string, string>(); // logical → the job id its first OK answer named
  const violations: string[] = [];

  /** A call that a reset may cut: its answer, or `undefined` (and it is counted) when it got none. */
  const cut = async <T>(call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call();
    } catch {
      faults.add('call-cut-by-reset');
      return undefined;
    }
  };

  /** Submits `logicals` under their own idempotency keys; an OK answer accepts them. */
  const submit = async (logicals: readonly string[]): Promise<void> => {
    if (logicals.length === 0) return;
    const answer = await cut(() =>
      objects(name).submit(
        logicals.map((l) => {
          const payload = planned.get(l)!;
          return { type: 'charge', payload: { ...payload }, idempotencyKey: l, ...(payload.key === null ? {} : { key: payload.key }) };
        }),
      ),
    );
    if (answer === undefined) return;
    if (!answer.ok) throw new Error(`submit refused: ${answer.error.message}`);
    answer.value.forEach(({ job }, i) => {
      const logical = logicals[i]!;
      const first = acceptedAs.get(logical);
      if (first === undefined) acceptedAs.set(logical, job.id);
      else if (first !== job.id) violations.push(`resubmit made a second job: ${logical} was ${first}, now ${job.id}`);
      const at = pending.indexOf(logical);
      if (at >= 0) pending.splice(at, 1);
    });
  };

  // Mid-tick: the object resets itself inside the commit the hook was armed for.
  let armed: CommitPoint | null = null;
  chaosHooks().point = (object, where, ctx) => {
    if (object !== name || armed !== where) return;
    armed = null;
    faults.add(`reset-mid-tick:${where === 'commit:before' ? 'before-commit' : 'after-commit'}`);
    ctx.abort('chaos: reset mid-tick');
  };
  chaosHooks().logged = (message) => faults.add(`logged:${message}`);

  const steps = settings.long ? 140 : 80;
  for (let step = 0; step < steps || pending.length > 0; step++) {
    const dice100 = roll() * 100;
    if (step >= steps || dice100 < 30) {
      // Submit a few (and now and then some already accepted again: a client that never heard back).
      const batch = pending.slice(0, between(roll, 1, 5));
      if (roll() < 0.3 && acceptedAs.size > 0) batch.push([...acceptedAs.keys()][between(roll, 0, acceptedAs.size - 1)]!);
      if (roll() < 0.2) {
        // A reset races the submit.
        const delayMs = between(roll, 0, 3);
        await Promise.all([submit(batch), sleep(delayMs).then(() => abortAllDurableObjects())]);
        faults.add('reset-during-submit');
      } else {
        await submit(batch);
      }
    } else if (dice100 < 45) {
      // Mid-handler: handlers are awaiting their timers (or the ledger) when the object is reset.
      await sleep(between(roll, 0, 15));
      const live = (await cut(() => objects(name).liveCount())) ?? 0;
      await abortAllDurableObjects();
      faults.add(live > 0 ? 'reset-mid-handler' : 'reset-idle');
    } else if (dice100 < 58) {
      armed = roll() < 0.5 ? 'commit:before' : 'commit:after';
      // Something to commit: a submit, or an alarm's tick.
      if (roll() < 0.5 && pending.length > 0) await submit(pending.slice(0, between(roll, 1, 3)));
      else await cut(() => runDurableObjectAlarm(objects(name) as never));
      await sleep(between(roll, 0, 10));
      armed = null;
    } else if (dice100 < 72) {
      // Late: the object's time moves past its alarm (a lease, a backoff) before the alarm is delivered.
      const time = await cut(() => objects(name).time());
      await cut(() => objects(name).advance(between(roll, LEASE_MS / 2, LEASE_MS * 2)));
      if ((await cut(() => runDurableObjectAlarm(objects(name) as never))) === true && time?.alarmMs != null) faults.add('alarm-late');
    } else if (dice100 < 82) {
      // Twice: delivered, then delivered again (in turn, or at once).
      await cut(() => objects(name).advance(between(roll, 0, LEASE_MS)));
      const again = () => runInDurableObject(objects(name) as never, (instance: { alarm(): Promise<void> }) => instance.alarm());
      if (roll() < 0.5) {
        await cut(() => runDurableObjectAlarm(objects(name) as never));
        await cut(again);
      } else {
        await Promise.all([cut(() => runDurableObjectAlarm(objects(name) as never)), cut(again)]);
      }
      faults.add('alarm-twice');
    } else if (dice100 < 88) {
      // Early: delivered before anything is due (a spurious wake-up).
      await cut(() => runInDurableObject(objects(name) as never, (instance: { alarm(): Promise<void> }) => instance.alarm()));
      faults.add('alarm-early');
    } else if (dice100 < 92) {
      // Skipped: time passes, the alarm does not come.
      await cut(() => objects(name).advance(between(roll, 1, LEASE_MS)));
      faults.add('alarm-skipped');
    } else {
      await sleep(between(roll, 1, 20));
    }
  }

  // Calm: no more faults; alarms delivered once each, on time or late, until every accepted job has finished.
  delete chaosHooks().point;
  delete chaosHooks().logged;
  let jobs: JobRecord[] = [];
  for (let pass = 0; ; pass++) {
    if (pass === 300)
      throw new Error(`round ${n} did not settle: ${jobs.filter((j) => !['succeeded', 'failed', 'cancelled'].includes(j.state)).length} jobs open`);
    if ((await objects(name).liveCount()) > 0) {
      await sleep(10);
      continue;
    }
    jobs = await allJobs(name);
    if (jobs.every((j) => ['succeeded', 'failed', 'cancelled'].includes(j.state))) break;
    await objects(name).advance(LEASE_MS + 1);
    await runDurableObjectAlarm(objects(name) as never);
    await sleep(5);
  }
  await runInDurableObject(objects(name) as never, (_instance: unknown, state: DurableObjectState) => state.storage.deleteAlarm());

  const report = checkLedger({
    accepted: [...acceptedAs.keys()],
    jobs: jobs.map((j) => ({ id: j.id, state: j.state, attempt: j.attempt, logical: (j.payload as unknown as ChaosPayload).logical })),
    entries: await ledgerOf(ledger).entries(),
    steps: STEPS,
    expectedState: (logical) => (planned.get(logical)?.fail ? 'failed' : 'succeeded'),
    orderingKey: (logical) => planned.get(logical)?.key ?? null,
  });
  // Every accepted job is the job its first answer named.
  for (const [logical, id] of acceptedAs) {
    if (!jobs.some((j) => j.id === id)) violations.push(`the job first answered for ${logical} (${id}) is gone`);
  }
  if (pending.length > 0) violations.push(`never answered: ${pending.length} submits (${pending.slice(0, 3).join(', ')}, …)`);
  return { ...report, violations: [...report.violations, ...violations] };
}

describe('chaos in workerd: object resets, late and doubled alarms', () => {
  it('keeps every accepted job, finishes each once in effect, and never runs one twice at a time', async () => {
    const started = Date.now();
    const faults = new Tally();
    let report = EMPTY_REPORT;
    for (let n = 0; n < settings.rounds; n++) report = addReports(report, await round(settings.seed, n, faults));
    console.log(summary('workerd', settings, faults, report, Date.now() - started));
    expect(report.violations).toEqual([]);
    expect(report.lost).toBe(0);
    expect(report.duplicates).toBe(0);
    expect(report.finished).toBe(report.accepted + report.storedUnanswered);
    // The chaos happened: resets mid-handler and mid-tick, and alarms out of turn.
    expect(faults.get('reset-mid-handler') + faults.get('reset-mid-tick:before-commit') + faults.get('reset-mid-tick:after-commit')).toBeGreaterThan(0);
    expect(faults.get('alarm-late') + faults.get('alarm-twice')).toBeGreaterThan(0);
  }, 600_000);
});
