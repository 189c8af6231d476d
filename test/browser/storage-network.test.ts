import type { JobRecord } from '@baton/core';
import { commands } from 'vitest/browser';
import { describe, expect, it } from 'vitest';

const { openTab, inTab, closeTab, setOffline } = commands;

describe('connectivity (Chromium, network cut by Playwright)', () => {
  it('parks a network job while offline without spending an attempt, and runs it on reconnect', async () => {
    const tab = await openTab(location.origin, `offline-${Date.now()}`, { isolated: true });
    const url = new URL('./fixtures/tab.html', import.meta.url).href;
    const job = (id: string) => inTab<JobRecord>(tab, '(id) => baton.get(id)', id);
    await setOffline(tab, true);
    expect(await inTab(tab, '() => navigator.onLine')).toBe(false);
    const id = await inTab<string>(tab, `async (url) => (await baton.submit({ type: 'fetchPage', payload: { url }, network: true })).job.id`, url);
    await expect.poll(async () => (await job(id)).history.at(-1)?.cause.code).toBe('offline');
    const parked = await job(id);
    expect(parked.state).toBe('scheduled');
    expect(parked.attempt).toBe(0); // offline is not a failure

    await setOffline(tab, false); // `online` reaches the worker; the fixture's offlineRetryMs is a minute
    const done = await inTab<JobRecord>(tab, '(id) => baton.waitFor(id)', id);
    expect(done.state).toBe('succeeded');
    expect(done.result).toBe(200);
    expect(done.attempt).toBe(1);
    expect(done.history.some((t) => t.cause.code === 'online')).toBe(true);
    await closeTab(tab);
  });
});

describe('storage (Chromium, quota set through CDP)', () => {
  it('asks for persistent storage, and rejects a submit that does not fit with storage-full, storing nothing of it', async () => {
    // A fresh context, its quota set before anything opens IndexedDB.
    const tab = await openTab(location.origin, `quota-${Date.now()}`, { quotaBytes: 512 * 1024 });
    const small = await inTab<string>(tab, `async () => (await baton.submit({ type: 'resize', payload: { width: 2, height: 2 } })).job.id`);
    expect(await inTab(tab, '(id) => baton.waitFor(id).then((j) => j.state)', small)).toBe('succeeded');
    const storage = await inTab<{ persisted: unknown }>(tab, '() => baton.storage()');
    expect(typeof storage.persisted).toBe('boolean'); // asked; headless Chromium grants by engagement

    // Incompressible (Chromium compresses large values): three of 256 KiB do not fit in 512 KiB.
    const submitBig = `async () => {
      const big = Array.from({ length: 32 * 1024 }, () => Math.random().toString(36).slice(2, 10)).join('');
      try {
        await baton.submitAll([1, 2, 3].map((n) => ({ type: 'resize', payload: { width: n, height: n, big } })));
        return 'stored';
      } catch (e) {
        return e.code + (e.retryable ? ' (retryable)' : '') + ': ' + e.message;
      }
    }`;
    const refused = await inTab<string>(tab, submitBig);
    expect(refused).toMatch(/^storage-full \(retryable\): .*quota/i); // retryable survives the thread boundary
    const ids = await inTab<string[]>(tab, 'async () => (await baton.list({})).jobs.map((j) => j.id)');
    expect(ids).toEqual([small]); // nothing of the batch
    await closeTab(tab);
  });
});
