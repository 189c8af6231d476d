import type { JobRecord } from '@baton/core';
import { commands } from 'vitest/browser';
import { describe, expect, inject, it } from 'vitest';
import type { ChaosMode, ChaosStats } from '../chaos-proxy.ts';

// End to end: a page and its worker in Chromium, `wrangler dev` (workerd)
// behind a chaos proxy, the ledger at the edge counting every execution.
const { openTab, inTab, closeTab, reloadTab, setOffline } = commands;
const edge = inject('edge');
const direct = inject('edgeDirect');

async function chaos(mode: ChaosMode): Promise<ChaosStats> {
  const res = await fetch(`${edge.url}/__chaos`, { method: 'POST', body: JSON.stringify(mode) });
  return ((await res.json()) as { stats: ChaosStats }).stats;
}

async function stats(): Promise<ChaosStats> {
  return ((await (await fetch(`${edge.url}/__chaos`)).json()) as { stats: ChaosStats }).stats;
}

/** Every execution at the edge of the ledger entries under `prefix`, in order (read past the proxy, whatever its mode). */
async function ledger(prefix: string): Promise<Array<{ key: string; seq: number }>> {
  const res = await fetch(`${direct}/v1/queues/default/ledger?prefix=${encodeURIComponent(prefix)}`, { headers: { authorization: `Bearer ${edge.token}` } });
  return (await res.json()) as Array<{ key: string; seq: number }>;
}

/** `perKey` entries for each of `keys` keys, all under a fresh prefix. */
function entries(prefix: string, keys: number, perKey: number): Array<{ key: string; seq: number }> {
  return Array.from({ length: keys * perKey }, (_, i) => ({ key: `${prefix}/k${i % keys}`, seq: Math.floor(i / keys) }));
}

// A short lease: jobs a reload cuts short are recovered within seconds.
const submit = `async (entries) => (await baton.submitAll(entries.map((e) => toEdge({ type: 'append', payload: e }, { key: e.key, leaseMs: 2000 })))).map((r) => r.job.id)`;
const states = (tab: string) =>
  inTab<Record<string, number>>(
    tab,
    `async () => { const n = {}; for (const j of (await baton.list({ limit: 1000 })).jobs) n[j.state] = (n[j.state] ?? 0) + 1; return n; }`,
  );
const jobs = (tab: string) => inTab<JobRecord[]>(tab, 'async () => (await baton.list({ limit: 1000 })).jobs');

/** Exactly once each, and in submission order within each key. */
function expectExactlyOnceInOrder(seen: Array<{ key: string; seq: number }>, sent: Array<{ key: string; seq: number }>): void {
  expect(seen.map((e) => `${e.key}#${e.seq}`).sort()).toEqual(sent.map((e) => `${e.key}#${e.seq}`).sort());
  const byKey = new Map<string, number[]>();
  for (const e of seen) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e.seq]);
  for (const seqs of byKey.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
}

describe('the offline outbox: browser jobs reach the edge exactly once (Chromium → wrangler dev)', () => {
  it('queues 200 jobs offline, survives a reload, and replays them once each, in order per key, when the network returns', async () => {
    const prefix = `offline-${Date.now()}`;
    await chaos({ mode: 'up' });
    const tab = await openTab(location.origin, prefix, { isolated: true, edge });
    await setOffline(tab, true);
    const sent = entries(prefix, 5, 40);
    expect(await inTab<string[]>(tab, submit, sent)).toHaveLength(200);
    // Stored at once; nothing sent and no attempt spent while offline.
    const queued = await jobs(tab);
    expect(queued).toHaveLength(200);
    expect(queued.every((j) => j.attempt === 0 && (j.state === 'scheduled' || j.state === 'waiting' || j.state === 'ready'))).toBe(true);
    expect((await stats()).byRoute['POST /v1/queues/default/jobs'] ?? 0).toBe(0);

    // The edge stays unreachable while the page reloads: the new worker finds the jobs and parks them again.
    const { cut } = await chaos({ mode: 'down' });
    await setOffline(tab, false);
    await reloadTab(tab);
    await expect.poll(async () => (await stats()).cut, { timeout: 15_000 }).toBeGreaterThan(cut); // it tried, and could not reach the edge
    expect(await ledger(prefix)).toEqual([]);
    await chaos({ mode: 'up' }); // the network is back

    await expect.poll(async () => (await states(tab)).succeeded, { timeout: 60_000, interval: 250 }).toBe(200);
    expectExactlyOnceInOrder(await ledger(prefix), sent);
    const done = await jobs(tab);
    // Offline never cost an attempt: the only extra attempts are those the reload cut short (recovered after their lease).
    for (const j of done) {
      expect(j.history.some((t) => t.cause.code === 'retry')).toBe(false);
      expect(j.attempt).toBe(1 + j.history.filter((t) => t.cause.code === 'lease-expired').length);
    }
    expect(done.some((j) => j.history.some((t) => t.cause.code === 'offline'))).toBe(true);
    await closeTab(tab);
  }, 90_000);

  it('stays exactly once with the network flapping and answers lost after the edge committed', async () => {
    const prefix = `flaky-${Date.now()}`;
    await chaos({ mode: 'flaky', cutRequest: 0.1, loseAnswer: 0.15, seed: 7 });
    const tab = await openTab(location.origin, prefix, { edge });
    const sent = entries(prefix, 8, 25);
    await inTab(tab, submit, sent);
    await expect.poll(async () => (await states(tab)).succeeded, { timeout: 90_000, interval: 250 }).toBe(200);
    const chaosSeen = await chaos({ mode: 'up' });
    expectExactlyOnceInOrder(await ledger(prefix), sent);
    expect(chaosSeen.cut).toBeGreaterThan(0);
    expect(chaosSeen.lostAnswers).toBeGreaterThan(0);
    // Some submits reached the edge but their answer did not: the replay found the original job.
    const results = (await jobs(tab)).map((j) => j.result as { deduplicated: boolean });
    expect(results.some((r) => r.deduplicated)).toBe(true);
    await closeTab(tab);
  }, 120_000);

  it('sends the next job of a key once the edge has accepted the one before it, in order per key though answers are lost', async () => {
    const prefix = `released-${Date.now()}`;
    // Many answers lost after the edge committed: a job whose answer is lost has not released its key yet.
    await chaos({ mode: 'flaky', cutRequest: 0.1, loseAnswer: 0.3, seed: 23 });
    const tab = await openTab(location.origin, prefix, { edge });
    const sent = entries(prefix, 4, 30);
    await inTab(tab, submit, sent);
    await expect.poll(async () => (await states(tab)).succeeded, { timeout: 90_000, interval: 250 }).toBe(120);
    const chaosSeen = await chaos({ mode: 'up' });
    expect(chaosSeen.lostAnswers).toBeGreaterThan(0);
    expectExactlyOnceInOrder(await ledger(prefix), sent);
    const done = await jobs(tab);
    // The key went on before its jobs finished: each was let through by the one before it, once the edge had that one.
    const byId = new Map(done.map((j) => [j.id, j]));
    const releasedBy = done.flatMap((j) => {
      const cause = j.history.find((t) => t.cause.code === 'unblocked')?.cause.message ?? '';
      const id = /released by (\S+)$/.exec(cause)?.[1];
      return id === undefined ? [] : [{ job: j, by: byId.get(id)! }];
    });
    expect(releasedBy.length).toBeGreaterThan(100);
    const at = (j: JobRecord, to: string) => j.history.findLast((t) => t.to === to)!.atMs;
    expect(releasedBy.some(({ job, by }) => at(job, 'running') < at(by, 'succeeded'))).toBe(true);
    // Some deliveries lost their answer: the retry found the original job at the edge, in its place.
    expect(done.some((j) => (j.result as { deduplicated: boolean }).deduplicated)).toBe(true);
    await closeTab(tab);
  }, 120_000);

  it('sends the jobs queued in a key with its head in one batch, and releases them together: few requests per key, exactly once, in order', async () => {
    const prefix = `ahead-${Date.now()}`;
    await chaos({ mode: 'up' });
    const tab = await openTab(location.origin, prefix, { isolated: true, edge });
    await setOffline(tab, true); // all queued before any is sent
    const sent = entries(prefix, 4, 30);
    expect(await inTab<string[]>(tab, submit, sent)).toHaveLength(120);
    const before = (await stats()).byRoute['POST /v1/queues/default/jobs'] ?? 0;
    await setOffline(tab, false);
    await expect.poll(async () => (await states(tab)).succeeded, { timeout: 60_000, interval: 250 }).toBe(120);
    expectExactlyOnceInOrder(await ledger(prefix), sent);
    // A key's jobs one per round trip would take 30 submit requests at least; the heads sent their keys' jobs
    // along, and the jobs sent along knew their delivery from the head's answer: no request of their own
    // (the last of a batch goes on as a head, and asks again). 4 heads, batched: a handful of requests.
    const submits = ((await stats()).byRoute['POST /v1/queues/default/jobs'] ?? 0) - before;
    expect(submits).toBeLessThan(10);
    const done = await jobs(tab);
    const byKey = new Map<string, JobRecord[]>();
    for (const j of done) byKey.set(j.key!, [...(byKey.get(j.key!) ?? []), j]);
    for (const keyed of byKey.values()) {
      // The first of the key released the other 29 at once; each was delivered by the head's batch, once.
      const head = keyed.find((j) => j.history.every((t) => t.cause.code !== 'unblocked'))!;
      const released = keyed.filter((j) => j.history.some((t) => t.cause.message === `key ${JSON.stringify(j.key)} released by ${head.id}`));
      expect(released).toHaveLength(29);
      expect(released.every((j) => (j.result as { edgeJobId: string }).edgeJobId.length > 0)).toBe(true);
    }
    await closeTab(tab);
  }, 90_000);

  it('backs off while the edge answers 503 with Retry-After, loses nothing, and finishes once it recovers', async () => {
    const prefix = `down-${Date.now()}`;
    await chaos({ mode: 'error', retryAfterS: 1 });
    const tab = await openTab(location.origin, prefix, { edge });
    const sent = entries(prefix, 10, 5);
    await inTab(tab, submit, sent);
    await expect.poll(async () => (await stats()).errors, { timeout: 10_000 }).toBeGreaterThanOrEqual(10);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await ledger(prefix)).toEqual([]);
    await chaos({ mode: 'up' }); // the edge recovers
    await expect.poll(async () => (await states(tab)).succeeded, { timeout: 60_000, interval: 250 }).toBe(50);
    expectExactlyOnceInOrder(await ledger(prefix), sent);
    const done = await jobs(tab);
    // 5xx spends attempts (unlike offline) and each retry waited with backoff, jitter and Retry-After.
    const retried = done.filter((j) => j.attempt > 1);
    expect(retried.length).toBeGreaterThan(0);
    // Each wait honoured Retry-After (1 s) plus a random spread, so the clients did not come back at one instant.
    const waits = retried.flatMap((j) => j.history.filter((t) => t.to === 'scheduled').map((t) => t.cause.message ?? ''));
    expect(waits.length).toBeGreaterThan(0);
    // (A longer jittered backoff wins over it: never sooner than the server asked.)
    expect(waits.every((m) => Number(/^retry in ([\d.]+) s/.exec(m)?.[1]) >= 1)).toBe(true);
    const spreads = waits.flatMap((m) => /retry-after 1000 ms \+ (\d+) ms spread/.exec(m)?.[1] ?? []).map(Number);
    expect(spreads.length).toBeGreaterThan(1);
    expect(spreads.every((ms) => ms >= 0 && ms <= 200)).toBe(true);
    expect(new Set(spreads).size).toBeGreaterThan(1);
    await closeTab(tab);
  }, 90_000);

  it('never sends an entry older than the edge remembers keys: it ends in the dead-letter set, saying why', async () => {
    const prefix = `expired-${Date.now()}`;
    await chaos({ mode: 'up' });
    const tab = await openTab(location.origin, prefix, { isolated: true, edge: { ...edge, dedupWindowMs: 1_000 } });
    await setOffline(tab, true);
    const [id] = await inTab<string[]>(tab, submit, entries(prefix, 1, 1));
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // offline past the window
    await setOffline(tab, false);
    const failed = await inTab<JobRecord>(tab, '(id) => baton.waitFor(id)', id);
    expect(failed.state).toBe('failed');
    expect(failed.error?.message).toMatch(/^expired: queued \d+ s ago, past the edge's 1 s idempotency window; not sent/);
    expect((await inTab<JobRecord[]>(tab, `async () => (await baton.list({ state: 'failed' })).jobs`)).map((j) => j.id)).toEqual([id]);
    expect(await ledger(prefix)).toEqual([]);
    await closeTab(tab);
  });
});
