import { commands } from 'vitest/browser';
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '@baton/core';

// Real pages of this origin (Playwright), each with its own worker on one database.
const { openTab, inTab, closeTab, reloadTab } = commands;

function listenForEffects(): { effects: string[]; close(): void } {
  const effects: string[] = [];
  const channel = new BroadcastChannel('effects');
  channel.onmessage = (e: MessageEvent<string>) => effects.push(e.data);
  return { effects, close: () => channel.close() };
}

const role = (tab: string) => inTab<string>(tab, '() => baton.role()');
const allJobs = (tab: string) => inTab<JobRecord[]>(tab, 'async () => (await baton.list({ limit: 1000 })).jobs');

describe('two pages of one origin (Playwright, Chromium)', () => {
  it('elects one leader, runs what either tab submits once, and relays events to both', async () => {
    const db = `two-pages-${Date.now()}`;
    const a = await openTab(location.origin, db);
    const b = await openTab(location.origin, db);
    await expect.poll(async () => [await role(a), await role(b)].sort()).toEqual(['follower', 'leader']);

    const { effects, close } = listenForEffects();
    const submit = `async (ns) => (await baton.submitAll(ns.map((n) => ({ type: 'work', payload: { n, ms: 5 } })))).map((r) => r.job.id)`;
    const ids = [...(await inTab<string[]>(a, submit, [0, 1, 2, 3, 4])), ...(await inTab<string[]>(b, submit, [5, 6, 7, 8, 9]))];
    for (const tab of [a, b]) {
      await expect.poll(async () => (await allJobs(tab)).filter((j) => j.state === 'succeeded').length).toBe(10);
      // Each tab heard every job succeed, whichever tab ran it.
      await expect
        .poll(() => inTab<string[]>(tab, `() => events.filter((e) => e.name === 'job.succeeded').map((e) => e.jobId)`))
        .toEqual(expect.arrayContaining(ids));
    }
    expect(effects.sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `work ${n}`).sort());
    close();
    await closeTab(a);
    await closeTab(b);
  });

  it('hands over when the leader tab closes mid-run: every job finishes, only the ones it was running run again', async () => {
    const db = `leader-closes-${Date.now()}`;
    const a = await openTab(location.origin, db);
    await expect.poll(() => role(a)).toBe('leader');
    const b = await openTab(location.origin, db);
    expect(await role(b)).toBe('follower');

    const { effects, close } = listenForEffects();
    const jobs = Array.from({ length: 40 }, (_, n) => ({ type: 'work', payload: { n, ms: 40 }, leaseMs: 500 }));
    await inTab(b, `(jobs) => baton.submitAll(jobs)`, jobs);
    await expect.poll(() => effects.length).toBeGreaterThanOrEqual(8); // the leader is part-way through
    await closeTab(a); // its worker dies with the page, mid-job

    await expect.poll(() => role(b)).toBe('leader');
    await expect.poll(async () => (await allJobs(b)).filter((j) => j.state === 'succeeded').length, { timeout: 10_000 }).toBe(40);
    const done = await allJobs(b);
    // At least once: every job's effect happened; a second time only for a job the closed tab was running
    // (concurrency 4), and such a job shows its lease expiring in its history.
    const count = new Map<string, number>();
    for (const e of effects) count.set(e, (count.get(e) ?? 0) + 1);
    expect(count.size).toBe(40);
    const twice = [...count].filter(([, n]) => n > 1).map(([e]) => Number(e.split(' ')[1]));
    expect(twice.length).toBeLessThanOrEqual(4);
    for (const n of twice) {
      const job = done.find((j) => (j.payload as { n: number }).n === n)!;
      expect(job.attempt).toBe(2);
      expect(job.history.some((t) => t.cause.code === 'lease-expired')).toBe(true);
    }
    expect([...count.values()].every((n) => n <= 2)).toBe(true);
    close();
    await closeTab(b);
  });

  it('finishes every job after the page reloads mid-run', async () => {
    const db = `reload-${Date.now()}`;
    const a = await openTab(location.origin, db);
    const { effects, close } = listenForEffects();
    const jobs = Array.from({ length: 20 }, (_, n) => ({ type: 'work', payload: { n, ms: 40 }, leaseMs: 500 }));
    await inTab(a, `(jobs) => baton.submitAll(jobs)`, jobs);
    await expect.poll(() => effects.length).toBeGreaterThanOrEqual(4);
    await reloadTab(a); // a new document and a new worker on the same database
    await expect.poll(async () => (await allJobs(a)).filter((j) => j.state === 'succeeded').length, { timeout: 10_000 }).toBe(20);
    expect(new Set(effects).size).toBe(20);
    expect(effects.length - 20).toBeLessThanOrEqual(4); // only jobs running at the reload ran again
    close();
    await closeTab(a);
  });
});
