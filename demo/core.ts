/**
 * `npm run demo`: the scheduler core at work, in real time, in a terminal.
 * A small image pipeline: priorities, a dependency graph, a flaky step that
 * retries, an idempotent submit, a timeout, and a metrics snapshot.
 */
import { JobError, Priority, type JobContext, type SchedulerEvent } from '@baton/core';
import { createScheduler } from '@baton/core/system';

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });

let flakyCalls = 0;
// A MemoryStore, the host's clock and Math.random by default; started once the listener below is on.
const scheduler = createScheduler({
  autoStart: false,
  queues: { default: { concurrency: 2 } },
  retry: { maxAttempts: 3, backoff: { kind: 'constant', delayMs: 300 } },
  handlers: {
    fetch: async (p: { url: string }, ctx: JobContext) => {
      await sleep(150, ctx.signal);
      return { url: p.url, bytes: 1000 + p.url.length * 37 };
    },
    resize: async (p: { width: number }, ctx: JobContext) => {
      const source = ctx.dependencies[0]!.result as { bytes: number };
      for (let done = 25; done <= 100; done += 25) {
        await sleep(40, ctx.signal);
        ctx.progress({ done });
      }
      return { width: p.width, bytes: Math.round((source.bytes * p.width) / 2000) };
    },
    upload: async (_p: null, ctx: JobContext) => {
      flakyCalls++;
      if (flakyCalls < 3) throw new Error(`storage answered 503 (call ${flakyCalls})`);
      return { uploaded: ctx.dependencies.map((d) => d.result) };
    },
    thumbnail: async (_p: null, ctx: JobContext) => {
      await sleep(5_000, ctx.signal); // longer than its timeout
    },
    validate: async (p: { name: string }) => {
      if (!p.name.endsWith('.png')) throw JobError.nonRetryable(`not a PNG: ${p.name}`);
      return true;
    },
  },
});

const t0 = Date.now();
const short = (id: string) => id.slice(-6);
scheduler.on('*', (e: SchedulerEvent) => {
  const at = `${String(Date.now() - t0).padStart(5)} ms`;
  if (e.name === 'job.progress') return console.log(`${at}  ${short(e.jobId)} ${e.type.padEnd(9)} progress ${JSON.stringify(e.progress)}`);
  if (e.name === 'job.deduplicated') return console.log(`${at}  ${short(e.jobId)} ${e.type.padEnd(9)} deduplicated (key ${e.idempotencyKey})`);
  if (e.name === 'job.stalled') return;
  const why = e.cause.message === undefined ? e.cause.code : `${e.cause.code}: ${e.cause.message}`;
  console.log(`${at}  ${short(e.jobId)} ${e.type.padEnd(9)} ${String(e.from ?? '·').padEnd(9)} → ${e.to.padEnd(9)} (${why})`);
});

scheduler.start();
const jobs = await scheduler.submitAll([
  { ref: 'src', type: 'fetch', payload: { url: 'https://example.com/cat.png' }, idempotencyKey: 'fetch:cat' },
  { ref: 'small', type: 'resize', payload: { width: 320 }, dependsOn: ['src'], priority: Priority.high },
  { ref: 'large', type: 'resize', payload: { width: 1280 }, dependsOn: ['src'], priority: Priority.low },
  { type: 'upload', dependsOn: ['small', 'large'] },
  { type: 'thumbnail', timeoutMs: 200, retry: { maxAttempts: 1 } },
  { type: 'validate', payload: { name: 'cat.gif' } },
]);
await scheduler.submit({ type: 'fetch', payload: { url: 'https://example.com/cat.png' }, idempotencyKey: 'fetch:cat' });
await Promise.all(jobs.map((r) => scheduler.waitFor(r.job.id)));

const m = await scheduler.metrics();
console.log('\nmetrics:');
console.log(`  succeeded ${m.depth.succeeded.total}, failed ${m.depth.failed.total} (the dead-letter set)`);
console.log(`  wait p50 ${m.waitLatency.p50Ms?.toFixed(0)} ms, run p50 ${m.runLatency.p50Ms?.toFixed(0)} ms, p99 ${m.runLatency.p99Ms?.toFixed(0)} ms`);
console.log(`  jobs by attempts used: ${m.retries.map((n, i) => `${i + 1}:${n}`).join(' ')}`);
await scheduler.stop();
