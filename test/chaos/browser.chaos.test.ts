/**
 * Chaos in Chromium: the scheduler's workers terminated at random moments
 * (the leader most of all, mid-submit, mid-handler, and just as a commit
 * begins), tabs reloaded, IndexedDB commits aborted part-way and quota
 * errors thrown mid-batch inside the real transactions (the worker fixture
 * does both), submits without an idempotency key forwarded by followers,
 * and offline periods. Three workers share one database, as three tabs
 * would: two started by this page, one in a framed tab this page reloads.
 * Each round ends with the exactly-once ledger check (see ledger.ts).
 * `BATON_CHAOS_ROUNDS` sets the rounds, `BATON_CHAOS_SEED` replays a run's
 * plan and dice (thread timing is the browser's own).
 *
 * Two cases are bugs this suite found, fixed since: reads of the job store
 * that fail, and a leader whose connection another tab's upgrade closed.
 */
import { type BatonClient, connect } from '@baton/browser';
import type { JobInput, JobRecord } from '@baton/core';
import { describe, expect, inject, it } from 'vitest';
import type { BrowserChaosPayload, ChaosWorkerConfig, FaultNote } from './fixtures/chaos.worker.ts';
import { addReports, between, checkLedger, dice, EMPTY_REPORT, type LedgerEntry, type LedgerReport, roundSeed, summary, Tally } from './ledger.ts';

const settings = inject('chaos');
const STEPS = ['charge', 'notify'];
const LEASE_MS = 800;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One worker on the database: started by this page, or by a framed tab (which this page can reload). */
interface Member {
  readonly name: string;
  /** The worker's `incarnation` (a framed tab's worker keeps its own across reloads). */
  readonly incarnation: number;
  client(): BatonClient;
  /** Rejects when this worker dies; calls to it race this. */
  dead(): Promise<never>;
  kill(): void;
  reload?(): Promise<void>;
}

function deathKnell(): { dead: Promise<never>; die: () => void } {
  let die!: () => void;
  const dead = new Promise<never>((_, reject) => {
    die = () => reject(new Error('the worker died'));
  });
  dead.catch(() => {});
  return { dead, die };
}

function startWorker(name: string, config: ChaosWorkerConfig): Member {
  const worker = new Worker(new URL('./fixtures/chaos.worker.ts', import.meta.url), { type: 'module', name: JSON.stringify(config) });
  const client = connect(worker, { persist: false });
  const { dead, die } = deathKnell();
  return {
    name,
    incarnation: config.incarnation,
    client: () => client,
    dead: () => dead,
    kill: () => {
      client.close(); // release the proxy first (comlink#655)
      worker.terminate();
      die();
    },
  };
}

async function openTab(name: string, config: ChaosWorkerConfig): Promise<Member> {
  const frame = document.createElement('iframe');
  frame.src = `${new URL('./fixtures/chaos-tab.html', import.meta.url).href}?config=${encodeURIComponent(JSON.stringify(config))}`;
  const page = () => frame.contentWindow as (Window & { baton?: BatonClient; batonReady?: boolean }) | null;
  const ready = async () => {
    await expect.poll(() => page()?.batonReady === true && page()?.document.readyState === 'complete', { timeout: 15_000, interval: 20 }).toBe(true);
  };
  document.body.append(frame);
  await ready();
  let knell = deathKnell();
  return {
    name,
    incarnation: config.incarnation,
    client: () => page()!.baton!,
    dead: () => knell.dead,
    kill: () => {
      frame.remove();
      knell.die();
    },
    reload: async () => {
      const before = page()!.baton; // (the window proxy stays the same object across the reload; its globals do not)
      page()!.location.reload(); // a new document and a new worker; the old worker dies with the old document
      knell.die();
      knell = deathKnell();
      await expect.poll(() => page()?.batonReady === true && page()!.baton !== before, { timeout: 15_000, interval: 20 }).toBe(true);
    },
  };
}

/** `call` on `member`, unless it dies first or takes longer than `timeoutMs`. */
async function on<T>(member: Member, call: (client: BatonClient) => Promise<T>, timeoutMs = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from ${member.name} in ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([call(member.client()), member.dead(), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function readLedger(name: string): Promise<LedgerEntry[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open(name, 1);
    open.onupgradeneeded = () => open.result.createObjectStore('entries', { autoIncrement: true });
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const entries = await new Promise<LedgerEntry[]>((resolve, reject) => {
    const request = db.transaction('entries').objectStore('entries').getAll();
    request.onsuccess = () => resolve(request.result as LedgerEntry[]);
    request.onerror = () => reject(request.error);
  });
  db.close();
  return entries;
}

async function allJobs(member: Member): Promise<JobRecord[]> {
  const jobs: JobRecord[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await on(member, (c) => c.list(cursor === undefined ? { limit: 100 } : { limit: 100, cursor }));
    jobs.push(...page.jobs);
    if (page.cursor === null) return jobs;
    cursor = page.cursor;
  }
}

/** Reads of the job store aborted too, now and then, all along (calm or not): off in the main run. */
interface Sabotage {
  readonly abortRead: number;
  /** How long the calm phase waits for every job to finish before the check calls the rest lost. */
  readonly settleMs: number;
}

async function round(seed: number, n: number, faults: Tally, sabotage: Sabotage): Promise<LedgerReport> {
  const roll = dice(roundSeed(seed, n));
  const database = `chaos-${seed}-${n}-${Date.now().toString(36)}`;
  const ledger = `${database}-ledger`;
  let incarnation = 0;
  const config = (calm = false): ChaosWorkerConfig => ({
    database,
    ledger,
    seed: roundSeed(seed, n),
    abortCommit: calm ? 0 : 0.08,
    quotaFull: calm ? 0 : 0.03,
    announceCommit: calm ? 0 : 0.03,
    abortRead: sabotage.abortRead,
    leaseMs: LEASE_MS,
    incarnation: incarnation++,
  });
  const noted = new BroadcastChannel(`chaos-faults:${database}`);
  let calmed = false;
  noted.onmessage = (e: MessageEvent<FaultNote>) => {
    if (e.data.kind !== 'commit-started') return faults.add(e.data.kind);
    // A worker began a commit: terminate it now, while its transaction may still be under way.
    const at = members.findIndex((m) => m.incarnation === (e.data as { incarnation: number }).incarnation && m.reload === undefined);
    if (calmed || at < 0) return;
    replace(at);
    faults.add('worker-terminated:at-commit');
  };

  const planned = new Map<string, { payload: BrowserChaosPayload; network: boolean; keyed: boolean; key: string | null }>();
  for (let i = 0; i < (settings.long ? 80 : 40); i++) {
    const logical = `${database}/L${i}`;
    const payload = { logical, ms: between(roll, 0, 25), failFirst: roll() < 0.15, fail: roll() < 0.05 };
    planned.set(logical, { payload, network: roll() < 0.3, keyed: roll() < 0.75, key: roll() < 0.4 ? `k${between(roll, 0, 2)}` : null });
  }
  const pending = new Set(planned.keys());
  const acceptedAs = new Map<string, string>();
  // Submitted once, without an idempotency key, and never answered: not sent again (a client without a
  // key cannot know whether it was stored). A follower forwards such a submit with a key made from its
  // request id, so even when the leader dies after storing it, it is one job or none.
  const unanswered = new Set<string>();
  const violations: string[] = [];
  const input = (logical: string): JobInput => {
    const { payload, network, keyed, key } = planned.get(logical)!;
    return {
      type: 'charge',
      payload: { ...payload },
      ...(keyed ? { idempotencyKey: logical } : {}),
      ...(key === null ? {} : { key }),
      ...(network ? { network: true } : {}),
    };
  };
  const submit = async (member: Member, logicals: readonly string[]): Promise<void> => {
    if (logicals.length === 0) return;
    const unkeyed = logicals.filter((l) => !planned.get(l)!.keyed);
    for (const l of unkeyed) pending.delete(l); // sent once only
    let answers: Array<{ job: JobRecord }>;
    try {
      answers = await on(member, (c) => c.submitAll(logicals.map(input)));
    } catch (error) {
      // Unanswered (its worker died, or its commit was sabotaged): not accepted; a keyed one is sent again later.
      faults.add((error as { code?: string }).code === 'storage-full' ? 'submit-refused:storage-full' : 'submit-unanswered');
      for (const l of unkeyed) unanswered.add(l);
      return;
    }
    answers.forEach(({ job }, i) => {
      const logical = logicals[i]!;
      const first = acceptedAs.get(logical);
      if (first === undefined) acceptedAs.set(logical, job.id);
      else if (first !== job.id) violations.push(`resubmit made a second job: ${logical} was ${first}, now ${job.id}`);
      pending.delete(logical);
    });
  };

  const members: Member[] = [startWorker('w0', config()), startWorker('w1', config()), await openTab('tab', config())];
  let named = 2;
  const replace = (i: number, calm = false) => {
    members[i]!.kill();
    members[i] = startWorker(`w${named++}`, config(calm));
  };
  const leaderIndex = async (): Promise<number> => {
    for (let i = 0; i < members.length; i++) if ((await on(members[i]!, (c) => c.role(), 2_000).catch(() => null)) === 'leader') return i;
    return -1;
  };

  const inflight: Promise<unknown>[] = [];
  const steps = settings.long ? 100 : 60;
  for (let step = 0; step < steps; step++) {
    const d = roll() * 100;
    if (d < 32) {
      // Submits go out without waiting, so a kill or a reload can land in the middle of one.
      const batch = [...pending].slice(0, between(roll, 1, 6));
      const keyed = [...acceptedAs.keys()].filter((l) => planned.get(l)!.keyed);
      if (roll() < 0.25 && keyed.length > 0) batch.push(keyed[between(roll, 0, keyed.length - 1)]!);
      inflight.push(submit(members[between(roll, 0, members.length - 1)]!, batch));
      await sleep(between(roll, 0, 30));
    } else if (d < 50) {
      const leader = await leaderIndex();
      const victim = leader >= 0 && roll() < 0.75 ? leader : between(roll, 0, members.length - 1);
      const tab = members[victim]!.reload !== undefined;
      if (tab) await members[victim]!.reload!();
      else replace(victim);
      faults.add(`${tab ? 'tab-reloaded' : 'worker-terminated'}:${victim === leader ? 'leader' : 'follower'}`);
    } else if (d < 58) {
      const member = members[between(roll, 0, members.length - 1)]!;
      const ms = between(roll, 100, 800);
      inflight.push(
        on(member, (c) => c.setOnline(false))
          .then(() => sleep(ms))
          .then(() => on(member, (c) => c.setOnline(true)))
          .catch(() => {}),
      );
      faults.add('offline-period');
    } else {
      await sleep(between(roll, 10, 120));
    }
  }

  // Calm: no more sabotage; every member back online; what was never answered is sent again until it is.
  calmed = true;
  const calm = new BroadcastChannel(`chaos-control:${database}`);
  calm.postMessage({ calm: true });
  calm.close();
  await Promise.allSettled(inflight);
  for (let i = 0; i < members.length; i++) if (members[i]!.reload === undefined) replace(i, true);
  const tab = members.findIndex((m) => m.reload !== undefined);
  members[tab]!.kill();
  members.splice(tab, 1);
  for (const member of members) await on(member, (c) => c.setOnline(true)).catch(() => {});
  // Calm, every job settles within seconds (leases of 0.8 s, backoff of 50 ms); what is still open at the
  // deadline is reported lost by the check.
  let jobs: JobRecord[] = [];
  const deadline = Date.now() + sabotage.settleMs;
  // A listing can fail (its reads are aborted too, in the reads run): only a listing of this round may end the
  // wait, and the check reads a fresh one. A stale listing, from before the last submits were answered, once
  // ended the wait and had jobs that existed reported lost.
  let fresh = false;
  const list = async () => {
    try {
      jobs = await allJobs(members[0]!);
      fresh = true;
    } catch {
      fresh = false;
    }
  };
  while (Date.now() < deadline) {
    await submit(members[0]!, [...pending]);
    await list();
    if (fresh && pending.size === 0 && jobs.length > 0 && jobs.every((j) => ['succeeded', 'failed', 'cancelled'].includes(j.state))) break;
    await sleep(100);
  }
  for (let tries = 0; !fresh && tries < 50; tries++) await list();
  const entries = await readLedger(ledger);
  for (const member of members) member.kill();
  noted.close();

  const report = checkLedger({
    accepted: [...acceptedAs.keys()],
    unanswered: [...unanswered],
    jobs: jobs.map((j) => ({ id: j.id, state: j.state, attempt: j.attempt, logical: (j.payload as unknown as BrowserChaosPayload).logical })),
    entries,
    steps: STEPS,
    expectedState: (logical) => (planned.get(logical)?.payload.fail ? 'failed' : 'succeeded'),
    orderingKey: (logical) => planned.get(logical)?.key ?? null,
  });
  for (const [logical, id] of acceptedAs) if (!jobs.some((j) => j.id === id)) violations.push(`the job first answered for ${logical} (${id}) is gone`);
  // Every keyed submit is sent again until it is answered: one still unanswered after the calm is a refusal to answer.
  if (pending.size > 0)
    violations.push(`never answered: ${pending.size} submits sent again and again through the calm (${[...pending].slice(0, 3).join(', ')}, …)`);
  return { ...report, violations: [...report.violations, ...violations] };
}

async function run(label: string, sabotage: Sabotage, rounds = settings.rounds): Promise<{ report: LedgerReport; faults: Tally }> {
  const started = Date.now();
  const faults = new Tally();
  let report = EMPTY_REPORT;
  for (let n = 0; n < rounds; n++) report = addReports(report, await round(settings.seed, n, faults, sabotage));
  console.log(summary(label, settings, faults, report, Date.now() - started, rounds));
  for (const violation of report.violations.slice(0, 20)) console.log(`  ${violation}`);
  return { report, faults };
}

describe('chaos in Chromium: workers killed, tabs reloaded, IndexedDB commits aborted, quota full, offline', () => {
  it('keeps every accepted job, finishes each once in effect, and never runs one twice at a time', async () => {
    const { report, faults } = await run('chromium', { abortRead: 0, settleMs: 45_000 });
    expect(report.violations).toEqual([]);
    expect(report.lost).toBe(0);
    expect(report.duplicates).toBe(0);
    expect(report.finished).toBe(report.accepted + report.storedUnanswered);
    expect(faults.get('worker-terminated:leader') + faults.get('tab-reloaded:leader')).toBeGreaterThan(0);
  }, 900_000);

  // Found by this suite (fixed): a tick whose store read failed dropped what it carried. A step result it
  // dropped never settled: the handler waited for ever while the live leader renewed its lease, and the job
  // (and every job behind it on its ordering key) never finished. And a committed tick whose read of the
  // next due time failed started none of its handlers. Reduced to the core in store-read-failure.test.ts.
  it('keeps them too when reads of the job store are aborted now and then', async () => {
    // At most 3 rounds: each waits out a longer settling time.
    const { report, faults } = await run('chromium+reads', { abortRead: 0.06, settleMs: 15_000 }, Math.min(settings.rounds, 3));
    expect(faults.get('idb-read-aborted')).toBeGreaterThan(0);
    expect(report.violations).toEqual([]);
    expect(report.lost).toBe(0);
    expect(report.duplicates).toBe(0);
    expect(report.finished).toBe(report.accepted + report.storedUnanswered);
  }, 900_000);

  // Found by this suite (fixed): another tab asks for a newer schema, so the leader closes its connection, as
  // it should; then that upgrade is given up (it failed, or its tab closed), and the database is as it was.
  // The leader kept the lock on a closed connection, and no job ran again in any tab until its tab closed.
  // Now it steps down and asks for the lock again: whoever holds it next reopens the database.
  it("runs jobs again once another tab's upgrade of the database is given up", async () => {
    const database = `upgrade-given-up-${Date.now()}`;
    const config: ChaosWorkerConfig = {
      database,
      ledger: `${database}-ledger`,
      seed: 1,
      abortCommit: 0,
      quotaFull: 0,
      announceCommit: 0,
      abortRead: 0,
      leaseMs: LEASE_MS,
      incarnation: 0,
    };
    const leader = startWorker('leader', config);
    await expect.poll(() => on(leader, (c) => c.role())).toBe('leader');
    const follower = startWorker('follower', { ...config, incarnation: 1 });
    const job = (logical: string) => ({ type: 'charge', payload: { logical, ms: 0, failFirst: false, fail: false } });
    const first = await on(leader, (c) => c.submit(job('before')));
    expect((await on(leader, (c) => c.waitFor(first.job.id))).state).toBe('succeeded');

    const version = await new Promise<number>((resolve, reject) => {
      const open = indexedDB.open(database);
      open.onsuccess = () => {
        open.result.close();
        resolve(open.result.version);
      };
      open.onerror = () => reject(open.error);
    });
    const upgrade = await new Promise<string>((resolve) => {
      const open = indexedDB.open(database, version + 1);
      open.onupgradeneeded = () => open.transaction!.abort(); // the newer release gives up its migration
      open.onsuccess = () => resolve('upgraded');
      open.onerror = () => resolve(open.error?.name ?? 'error');
    });
    expect(upgrade).toBe('AbortError'); // the database is at its old version, with its jobs

    const answer = await on(leader, (c) => c.submit(job('after')), 5_000).then(
      (r) => r,
      (e: Error) => e,
    );
    expect(answer).not.toBeInstanceOf(Error); // today: no answer
    const done = await on(follower, (c) => c.waitFor((answer as { job: JobRecord }).job.id), 10_000);
    expect(done.state).toBe('succeeded');
    leader.kill();
    follower.kill();
  });
});
