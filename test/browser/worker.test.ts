import { connect } from '@baton/browser';
import { isBatonError, type SchedulerEvent, UnknownJobError, ValidationError } from '@baton/core';
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
    await expect
      .poll(() => events.filter((e) => e.jobId === job.id).map((e) => e.name))
      .toEqual(expect.arrayContaining(['job.ready', 'job.running', 'job.progress', 'job.succeeded']));
    await unsubscribe();
    baton.close();
    worker.terminate();
  });

  it('returns errors with their code across the thread boundary, and stores nothing for bad input', async () => {
    const worker = startWorker(`worker-errors-${Date.now()}`);
    const baton = connect(worker);
    const error = await baton.submit({ type: 'teleport' }).catch((e: unknown) => e);
    expect(isBatonError(error, 'validation')).toBe(true);
    expect(error).toBeInstanceOf(ValidationError); // rebuilt as its class on the page's side
    expect((error as ValidationError).retryable).toBe(false);
    expect((error as { field: string }).field).toBe('job.type');
    const failed = await baton.waitFor((await baton.submit({ type: 'reject' })).job.id);
    expect(failed.state).toBe('failed');
    expect(failed.error?.message).toBe('not an image');
    const missing = await baton.cancel('nope').catch((e: unknown) => e);
    expect(isBatonError(missing, 'unknown-job')).toBe(true);
    expect(missing).toBeInstanceOf(UnknownJobError);
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

describe('several workers on one database: one leader by Web Lock, the rest forward (Chromium)', () => {
  it('runs every job once through the leader, relays events to followers, and hands over when the leader dies', async () => {
    const db = `tabs-${Date.now()}`;
    const workers = [startWorker(db), startWorker(db)];
    const [a, b] = workers.map((w) => connect(w)) as [ReturnType<typeof connect>, ReturnType<typeof connect>];
    await expect.poll(async () => [await a.role(), await b.role()].sort()).toEqual(['follower', 'leader']);
    const leaderIndex = (await a.role()) === 'leader' ? 0 : 1;
    const [leader, follower] = leaderIndex === 0 ? [a, b] : [b, a];

    const seen: string[] = [];
    const off = await follower.subscribe((e) => seen.push(`${e.name}:${e.jobId}`));
    const { job } = await follower.submit({ type: 'resize', payload: { width: 100, height: 100 } });
    expect((await follower.waitFor(job.id)).result).toEqual({ width: 50, height: 50 });
    expect((await leader.get(job.id))?.state).toBe('succeeded');
    await expect.poll(() => seen).toContain(`job.succeeded:${job.id}`);
    await off();

    // A signal from the follower's page reaches the job through the leader.
    const { job: review } = await follower.submit({ type: 'approve' });
    await expect.poll(async () => (await follower.get(review.id))?.state).toBe('scheduled');
    expect((await follower.signal(review.id, 'verdict', { ok: true })).id).toBe(review.id);
    expect((await follower.waitFor(review.id)).result).toEqual({ ok: true });

    // The leader's tab closes with a job still to come: the follower takes over and runs it.
    const { job: later } = await follower.submit({ type: 'resize', payload: { width: 8, height: 8 }, delayMs: 200 });
    leader.close();
    workers[leaderIndex]!.terminate();
    await expect.poll(() => follower.role()).toBe('leader');
    const done = await follower.waitFor(later.id);
    expect(done.state).toBe('succeeded');
    expect(done.attempt).toBe(1);
    expect((await follower.list({})).jobs.map((j) => j.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    follower.close();
    workers[1 - leaderIndex]!.terminate();
  });
});

describe('schedules from the page (Chromium)', () => {
  it('makes, lists, pauses and deletes a schedule whose occurrences run in the worker', async () => {
    const worker = startWorker(`schedules-${Date.now()}`);
    const baton = connect(worker);
    const made = await baton.schedule({ id: 'thumbs', everyMs: 1_000, job: { type: 'resize', payload: { width: 4, height: 4 } } });
    expect(made.nextAtMs).toBeGreaterThan(Date.now() - 1_000);
    await expect
      .poll(async () => (await baton.list({ state: 'succeeded' })).jobs.filter((j) => j.tags.includes('schedule:thumbs')).length, { timeout: 5_000 })
      .toBeGreaterThanOrEqual(1);
    expect((await baton.schedules()).map((s) => s.id)).toEqual(['thumbs']);
    expect((await baton.pauseSchedule('thumbs')).nextAtMs).toBeNull();
    expect((await baton.unschedule('thumbs')).id).toBe('thumbs');
    expect(await baton.schedules()).toEqual([]);
    const error = await baton.pauseSchedule('thumbs').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unknown-schedule' });
    baton.close();
    worker.terminate();
  });
});

describe('a forwarded submit run again (Chromium)', () => {
  it('makes one job of it: the leader may have committed and died before its answer arrived', async () => {
    const db = `forward-${Date.now()}`;
    const worker = startWorker(db);
    const baton = connect(worker);
    await expect.poll(() => baton.role()).toBe('leader');
    // Another tab's worker forwards a submit over the database's channel. Its answer is lost with the
    // leader that committed it; the follower sends the same request again once a leader announces
    // itself (or runs it itself, once it leads). The page plays that follower here.
    const channel = new BroadcastChannel(`baton:${db}`);
    const answers: Array<{ ok: boolean; value: Array<{ job: { id: string }; deduplicated: boolean }> }> = [];
    channel.onmessage = (e: MessageEvent<{ kind: string; id: string; value: never }>) => {
      if (e.data.kind === 'response' && e.data.id === 'forwarded-1') answers.push(e.data.value);
    };
    const request = { kind: 'request', id: 'forwarded-1', method: 'submit', arg: [{ type: 'resize', payload: { width: 10, height: 10 } }] };
    channel.postMessage(request);
    await expect.poll(() => answers.length).toBe(1);
    channel.postMessage(request);
    await expect.poll(() => answers.length).toBe(2);
    expect(answers.map((a) => a.ok)).toEqual([true, true]);
    expect(answers[1]!.value[0]!.job.id).toBe(answers[0]!.value[0]!.job.id);
    expect(answers[1]!.value[0]!.deduplicated).toBe(true);
    expect((await baton.list({})).jobs).toHaveLength(1);
    channel.close();
    baton.close();
    worker.terminate();
  });
});

describe('crash safety (Chromium)', () => {
  it('finishes a job whose worker was terminated mid-run, without repeating its recorded step', async () => {
    const db = `crash-${Date.now()}`;
    const effects: string[] = [];
    const channel = new BroadcastChannel('effects');
    channel.onmessage = (e: MessageEvent<string>) => effects.push(e.data);
    const first = startWorker(db);
    const a = connect(first);
    const { job } = await a.submit({ type: 'charge', payload: { order: 'o-9' }, leaseMs: 300 });
    await expect.poll(() => effects).toEqual(['charge o-9']);
    a.close();
    first.terminate(); // the worker dies mid-job, after its side effect

    const second = startWorker(db);
    const b = connect(second);
    const done = await b.waitFor(job.id); // recovered once the dead worker's lease expires
    expect(done.state).toBe('succeeded');
    expect(done.result).toBe('charged o-9');
    expect(done.attempt).toBe(2);
    expect(done.history.some((t) => t.cause.code === 'lease-expired')).toBe(true);
    expect(effects).toEqual(['charge o-9']); // the step did not run again
    channel.close();
    b.close();
    second.terminate();
  });
});
