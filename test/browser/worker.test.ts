import { connect } from '@baton/browser';
import { isBatonError, type SchedulerEvent } from '@baton/core';
import { describe, expect, it } from 'vitest';

function startWorker(db: string): Worker {
  // Written the way Vite recognises a worker; the database name travels as the worker's name.
  return new Worker(new URL('./fixtures/jobs.worker.ts', import.meta.url), { type: 'module', name: db });
}

describe('a scheduler in a Worker, driven from the page through Comlink (Chromium)', () => {
  it('runs submitted jobs in the worker and streams their events to the page', async () => {
    const worker = startWorker(`worker-${Date.now()}`);
    const baton = connect(worker);
    const events: SchedulerEvent[] = [];
    const unsubscribe = await baton.subscribe((e) => events.push(e));
    const { job } = await baton.submit({ type: 'resize', payload: { width: 640, height: 480 } });
    const done = await baton.waitFor(job.id);
    expect(done.state).toBe('succeeded');
    expect(done.result).toEqual({ width: 320, height: 240 });
    expect((await baton.get(job.id))?.progress).toEqual({ done: 100 });
    await expect.poll(() => events.filter((e) => e.jobId === job.id).map((e) => e.name)).toEqual(
      expect.arrayContaining(['job.ready', 'job.running', 'job.progress', 'job.succeeded']),
    );
    await unsubscribe();
    baton.close();
    worker.terminate();
  });

  it('returns errors with their code across the thread boundary, and stores nothing for bad input', async () => {
    const worker = startWorker(`worker-errors-${Date.now()}`);
    const baton = connect(worker);
    const error = await baton.submit({ type: 'teleport' }).catch((e: unknown) => e);
    expect(isBatonError(error, 'validation')).toBe(true);
    expect((error as { field: string }).field).toBe('job.type');
    const failed = await baton.waitFor((await baton.submit({ type: 'reject' })).job.id);
    expect(failed.state).toBe('failed');
    expect(failed.error?.message).toBe('not an image');
    const missing = await baton.cancel('nope').catch((e: unknown) => e);
    expect(isBatonError(missing, 'unknown-job')).toBe(true);
    expect((await baton.list({})).jobs).toHaveLength(1);
    baton.close();
    worker.terminate();
  });

  it('keeps jobs across a worker restart: a new worker on the same database finishes them', async () => {
    const db = `worker-restart-${Date.now()}`;
    const first = startWorker(db);
    const a = connect(first);
    const { job } = await a.submit({ type: 'resize', payload: { width: 10, height: 10 }, delayMs: 300 });
    a.close();
    first.terminate(); // the tab closed before the job was due
    const second = startWorker(db);
    const b = connect(second);
    expect((await b.get(job.id))?.state).toBe('scheduled');
    const done = await b.waitFor(job.id);
    expect(done.result).toEqual({ width: 5, height: 5 });
    b.close();
    second.terminate();
  });
});
