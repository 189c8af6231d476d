import { connect } from '@baton/browser';
import type { JobRecord, MetricsSnapshot } from '@baton/core';
import { edgeSource, type FeedEvent, type FeedStatus, localSource, MetricsHistory, mountDashboard, SseParser, type SseMessage } from '@baton/dashboard/ui';
import { createClient } from '@baton/edge/client';
import axe from 'axe-core';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import { bigSource } from './fixtures/dashboard-fake-source.ts';

// The dashboard in real Chromium: over a page's scheduler in a Worker (IndexedDB), over a synthetic
// queue of 100,000 jobs, and its edge source against `wrangler dev`.

const count = (n: number) => new Intl.NumberFormat('en', { maximumFractionDigits: 0 }).format(n);
const STATES = ['waiting', 'scheduled', 'ready', 'running', 'succeeded', 'failed', 'cancelled'] as const;

function mountPoint(): HTMLElement {
  const el = document.createElement('div');
  document.body.append(el);
  return el;
}

const text = (root: ParentNode, selector: string) => root.querySelector(selector)?.textContent ?? null;
const metric = (root: ParentNode, key: string) => text(root, `[data-metric="${key}"]`);
const button = (root: ParentNode, label: string) => {
  const found = root.querySelector<HTMLButtonElement>(`button[aria-label="${label}"]`);
  if (found === null) throw new Error(`no button labelled ${label}`);
  return found;
};
/** Polls `check` until it holds (for hooks, where `expect.poll` is not available). */
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${check}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
const rows = (root: ParentNode, table: string) => [...root.querySelectorAll<HTMLTableRowElement>(`#${table} tbody tr[data-job]`)].map((r) => r.dataset.job!);

describe('the dashboard over a page scheduler (Chromium, a real worker)', () => {
  const worker = new Worker(new URL('./fixtures/dashboard.worker.ts', import.meta.url), { type: 'module', name: `dashboard-${Date.now()}` });
  const baton = connect(worker);
  const root = mountPoint();
  let unmount = () => {};
  const ids: Record<string, string[]> = {};

  beforeAll(async () => {
    await page.viewport(1280, 800);
    const submitted = await baton.submitAll([
      ...Array.from({ length: 12 }, (_, n) => ({ type: 'ok' as const, payload: { n }, priority: (n % 5) as 0 | 1 | 2 | 3 | 4 })),
      ...Array.from({ length: 4 }, (_, n) => ({ type: 'flaky' as const, payload: { failures: n % 3 } })),
      { type: 'validate', payload: { name: 'a.gif' } },
      { type: 'validate', payload: { name: 'b.gif' } },
      { type: 'charge', payload: { order: 'o-1' }, resource: 'payments', trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } },
      { ref: 'left', type: 'ok', payload: { n: 100 } },
      { ref: 'right', type: 'flaky', payload: { failures: 1 } },
      { type: 'sum', dependsOn: ['left', 'right'] },
    ]);
    for (const { job } of submitted) ids[job.type] = [...(ids[job.type] ?? []), job.id];
    await Promise.all(submitted.map(({ job }) => baton.waitFor(job.id)));
    unmount = mountDashboard(root, localSource(baton), { pollMs: 300 });
    await until(() => metric(root, 'depth.succeeded.total') === String(submitted.length - 2));
  }, 30_000);

  afterAll(async () => {
    unmount();
    root.remove();
    baton.close();
    worker.terminate();
  });

  it('lists the jobs a page at a time, filtered on the server', async () => {
    const all: JobRecord[] = [...(await baton.list({ limit: 100 })).jobs];
    await expect.poll(() => rows(root, 'job-table').length).toBe(Math.min(25, all.length));
    // Newest first by default: the ids in descending order.
    expect(rows(root, 'job-table')).toEqual(
      all
        .map((j) => j.id)
        .reverse()
        .slice(0, 25),
    );

    await userEvent.selectOptions(root.querySelector<HTMLSelectElement>('#filter-limit')!, '10');
    await expect
      .poll(() => rows(root, 'job-table'))
      .toEqual(
        all
          .map((j) => j.id)
          .reverse()
          .slice(0, 10),
      );
    await userEvent.click(root.querySelector<HTMLButtonElement>('#job-table .pager button:nth-of-type(3)')!); // Next page
    await expect
      .poll(() => rows(root, 'job-table'))
      .toEqual(
        all
          .map((j) => j.id)
          .reverse()
          .slice(10, 20),
      );
    expect(text(root, '#job-table caption')).toContain('page 2');
    await userEvent.click(root.querySelector<HTMLButtonElement>('#job-table .pager button:nth-of-type(2)')!); // Previous page
    await expect
      .poll(() => rows(root, 'job-table'))
      .toEqual(
        all
          .map((j) => j.id)
          .reverse()
          .slice(0, 10),
      );

    await userEvent.selectOptions(root.querySelector<HTMLSelectElement>('#filter-state')!, 'failed');
    await expect.poll(() => rows(root, 'job-table')).toEqual([...ids.validate!].reverse());
    await userEvent.selectOptions(root.querySelector<HTMLSelectElement>('#filter-state')!, '');
    await userEvent.selectOptions(root.querySelector<HTMLSelectElement>('#filter-order')!, 'asc');
    await userEvent.fill(root.querySelector<HTMLInputElement>('#filter-type')!, 'flaky');
    await userEvent.keyboard('{Tab}'); // the type applies on change
    await expect.poll(() => rows(root, 'job-table')).toEqual(all.filter((j) => j.type === 'flaky').map((j) => j.id));
    await userEvent.fill(root.querySelector<HTMLInputElement>('#filter-type')!, '');
    await userEvent.keyboard('{Tab}');
    await userEvent.selectOptions(root.querySelector<HTMLSelectElement>('#filter-order')!, 'desc');
    await userEvent.selectOptions(root.querySelector<HTMLSelectElement>('#filter-limit')!, '25');
    await expect.poll(() => rows(root, 'job-table').length).toBe(Math.min(25, all.length));
  });

  it('shows the numbers metrics() gives: depth by state and priority, outcomes and attempts per type, latency', async () => {
    const m: MetricsSnapshot = await baton.metrics();
    await expect.poll(() => metric(root, 'depth.succeeded.total')).toBe(count(m.depth.succeeded.total));
    for (const state of STATES) {
      expect(metric(root, `depth.${state}.total`), state).toBe(count(m.depth[state].total));
      for (let p = 0; p < 5; p++) expect(metric(root, `depth.${state}.byPriority.${p}`), `${state} ${p}`).toBe(count(m.depth[state].byPriority[p] ?? 0));
    }
    expect(Object.keys(m.byType).sort()).toEqual(['charge', 'flaky', 'ok', 'sum', 'validate']);
    for (const [type, o] of Object.entries(m.byType)) {
      expect(metric(root, `byType.${type}.succeeded`)).toBe(count(o.succeeded));
      expect(metric(root, `byType.${type}.failed`)).toBe(count(o.failed));
      expect(metric(root, `byType.${type}.attempts`)).toBe(o.attempts.map((n, i) => `${i + 1}: ${count(n)}`).join(' · '));
    }
    expect(m.byType.flaky!.attempts.length).toBeGreaterThan(1); // retries happened, and the histogram shows them
    await userEvent.selectOptions(root.querySelector<HTMLSelectElement>('#retry-type')!, 'flaky');
    for (const [i, n] of m.byType.flaky!.attempts.entries()) expect(metric(root, `byType.flaky.attempts.${i}`)).toBe(count(n));
    expect(root.querySelector('#types .chart-canvas canvas')).not.toBeNull(); // drawn by uPlot
    expect(metric(root, 'waitLatency.count')).toBe(count(m.waitLatency.count));
    expect(metric(root, 'runLatency.count')).toBe(count(m.runLatency.count));
    expect(metric(root, 'stalled')).toBe(count(m.stalled));
    expect(metric(root, 'depth.failed.total')).toBe('2');
    expect(text(root, '[data-metric="resources.payments.breaker"]')).toBe(m.resources.payments!.breaker);
    expect(metric(root, 'backpressure')).toBe(`Backpressure: at most 100,000 a queue; at most 1,000 a fairness key; ${count(m.backpressure.refused)} refused`);
    // Every chart has its text alternative: a name and summary, and a table beside it.
    for (const chart of root.querySelectorAll('.chart-canvas')) {
      expect(chart.getAttribute('role')).toBe('img');
      expect(chart.getAttribute('aria-label')?.length).toBeGreaterThan(20);
      expect(chart.closest('section')!.querySelector('table')).not.toBeNull();
    }
  });

  it('retries a failed job from the dead-letter panel, with the keyboard', async () => {
    const [first, second] = ids.validate!;
    await expect.poll(() => rows(root, 'dead-letter-table').sort()).toEqual([first!, second!].sort());
    const retry = button(root, `Retry job ${first}`);
    retry.focus();
    await userEvent.keyboard('{Enter}');
    await expect.poll(async () => (await baton.get(first!))?.state).toBe('succeeded');
    const job = (await baton.get(first!))!;
    expect(job.history.map((t) => t.cause.code)).toContain('manual-retry');
    await expect.poll(() => rows(root, 'dead-letter-table')).toEqual([second]);
    expect(text(root, '[role=status]')).toContain(`Job ${first} sent back to run`);
    await expect.poll(() => metric(root, 'depth.failed.total')).toBe('1');
  });

  it('shows a job in full: its record, its history, its dependencies (linked), its steps and trace id', async () => {
    const [sumId] = ids.sum!;
    const sum = (await baton.get(sumId!))!;
    await userEvent.click(button(root, `Open job ${sumId}`)); // the newest job: on the explorer's first page
    await expect.poll(() => text(root, '#job-detail-title')).toBe(`Job ${sumId}`);
    await expect.poll(() => document.activeElement?.id).toBe('job-detail-title'); // focus moves to the detail
    await expect.poll(() => root.querySelectorAll('#job-detail [data-field="history"] tbody tr').length).toBe(sum.history.length);
    const history = [...root.querySelectorAll('#job-detail [data-field="history"] tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent));
    for (const [i, t] of sum.history.entries()) {
      expect(history[i]![1]).toBe(`${t.from ?? '(new)'} → ${t.to}`);
      expect(history[i]![3]).toBe(String(t.attempt));
      expect(history[i]![4]).toBe(t.cause.code);
      expect(history[i]![5]).toBe(t.cause.message ?? '');
    }
    expect(text(root, '#job-detail [data-field="state"]')).toBe('succeeded');
    expect(text(root, '#job-detail [data-field="trace"]')).toBe('none');
    const deps = [...root.querySelectorAll<HTMLButtonElement>('#job-detail [data-field="dependsOn"] button')];
    expect(deps.map((b) => b.textContent)).toEqual(sum.dependsOn);
    await expect
      .poll(() => [...root.querySelectorAll('#job-detail [data-field="dependsOn"] .state')].map((s) => s.textContent))
      .toEqual(['succeeded', 'succeeded']);
    await userEvent.click(deps[1]!); // a dependency opens in its turn
    await expect.poll(() => text(root, '#job-detail-title')).toBe(`Job ${sum.dependsOn[1]}`);
    await expect.poll(() => text(root, '#job-detail [data-field="attempt"]')).toBe('2 of 3');

    // The charge job: its trace id and its durable step.
    await userEvent.fill(root.querySelector<HTMLInputElement>('#filter-type')!, 'charge');
    await userEvent.keyboard('{Tab}');
    const [chargeId] = ids.charge!;
    await expect.poll(() => rows(root, 'job-table')).toEqual([chargeId]);
    await userEvent.click(button(root, `Open job ${chargeId}`));
    await expect.poll(() => text(root, '#job-detail [data-field="trace"]')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    await expect.poll(() => text(root, '#job-detail [data-field="steps"] tbody tr td')).toBe('charge');
    expect(text(root, '#job-detail [data-field="resource"]')).toBe('payments');
    await userEvent.keyboard('{Escape}'); // closes the detail
    await expect.poll(() => root.querySelector('#job-detail')).toBeNull();
    await userEvent.fill(root.querySelector<HTMLInputElement>('#filter-type')!, '');
    await userEvent.keyboard('{Tab}');
  });

  it('cancels an unfinished job, once confirmed', async () => {
    const { job } = await baton.submit({ type: 'ok', payload: { n: 1 }, delayMs: 60_000 });
    await expect.poll(() => rows(root, 'job-table')[0], { timeout: 5000 }).toBe(job.id);
    await userEvent.click(button(root, `Cancel job ${job.id}`));
    await userEvent.click(button(root, `Confirm: cancel job ${job.id}`));
    await expect.poll(async () => (await baton.get(job.id))?.state).toBe('cancelled');
    await expect.poll(() => button(root, `Open job ${job.id}`).closest('tr')!.querySelector('.state')!.textContent).toBe('cancelled');
  });

  it('streams events into the live feed', async () => {
    await expect.poll(() => text(root, '[data-field="feed-status"]')).toBe('live');
    const { job } = await baton.submit({ type: 'ok', payload: { n: 7 } });
    await expect.poll(() => root.querySelectorAll(`#feed li[data-event="job.succeeded"] button[aria-label="Open job ${job.id}"]`).length).toBe(1);
    expect(root.querySelectorAll('#feed li').length).toBeLessThanOrEqual(50);
  });

  it('has no serious or critical accessibility violations (axe-core), at desktop and at phone width', async () => {
    await userEvent.click(button(root, `Open job ${ids.sum![0]}`)); // the detail too
    await expect.poll(() => root.querySelectorAll('#job-detail [data-field="history"] tbody tr').length).toBeGreaterThan(0);
    for (const [width, height] of [
      [1280, 800],
      [390, 844],
    ] as const) {
      await page.viewport(width, height);
      const results = await axe.run(root, { resultTypes: ['violations'] });
      const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(
        serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
        `at ${width}px`,
      ).toEqual([]);
    }
    // Every control has a name.
    for (const control of root.querySelectorAll('button, select, input')) {
      const named = control.getAttribute('aria-label') ?? control.textContent?.trim() ?? '';
      const labelled = control.id !== '' && root.querySelector(`label[for="${control.id}"]`) !== null;
      expect(named !== '' || labelled, control.outerHTML.slice(0, 80)).toBe(true);
    }
    await page.viewport(1280, 800);
  });
});

describe('the dashboard with 100,000 jobs in the queue (a synthetic source, with an event firehose)', () => {
  it('keeps the page bounded: one page of jobs, a few events, pages fetched by cursor', async () => {
    const source = bigSource(100_000);
    const root = mountPoint();
    const unmount = mountDashboard(root, source, { pollMs: 250, historySize: 20 });
    await expect.poll(() => metric(root, 'depth.succeeded.total'), { timeout: 10_000 }).not.toBeNull();
    const m = await source.metrics('big');
    expect(metric(root, 'depth.succeeded.total')).toBe(count(m.depth.succeeded.total));
    await expect.poll(() => rows(root, 'job-table').length).toBe(25);
    expect(rows(root, 'job-table')[0]).toBe('job-00099999');
    await expect.poll(() => rows(root, 'dead-letter-table').length).toBe(10);
    // Ten thousand events a second: the feed shows the newest 50 and the page keeps answering.
    await expect.poll(() => root.querySelectorAll('#feed li').length).toBe(50);
    // Paging keeps working under the flood (how fast is the benchmarks' business, not a test's).
    for (let p = 2; p <= 4; p++) {
      await userEvent.click(root.querySelector<HTMLButtonElement>('#job-table .pager button:nth-of-type(3)')!);
      await expect.poll(() => text(root, '#job-table caption'), { timeout: 10_000 }).toContain(`page ${p}`);
    }
    await expect.poll(() => rows(root, 'job-table')[0]).toBe('job-00099924');
    // The history is bounded too: 20 samples at most, whatever the time.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(root.querySelectorAll('#feed li').length).toBe(50);
    expect(root.querySelectorAll('tr[data-job]').length).toBe(35);
    expect(root.querySelectorAll('*').length).toBeLessThan(4000);
    expect(Math.max(...source.calls.list.map((q) => q.limit ?? Number.POSITIVE_INFINITY))).toBeLessThanOrEqual(100);
    expect(source.calls.list.every((q) => q.limit !== undefined)).toBe(true);
    unmount();
    source.stop();
    root.remove();
  }, 30_000);
});

describe('the edge source against wrangler dev (Chromium → workerd)', () => {
  const edge = inject('edgeDirect');
  const { token } = inject('edge');
  const QUEUE = 'emails';

  it('reads queues from the OpenAPI document, and metrics, lists, a job and its steps over HTTP', async () => {
    const source = edgeSource({ baseUrl: edge, token });
    expect(await source.queues()).toEqual(expect.arrayContaining(['default', 'emails']));
    const client = createClient({ baseUrl: edge, token }).queue(QUEUE);
    const { job } = await client.submit({ type: 'email', payload: { to: 'ada@example.com', subject: 'hi' } }, { waitMs: 5000 });
    expect(job.state).toBe('succeeded');
    expect((await source.get(QUEUE, job.id))?.id).toBe(job.id);
    expect((await source.steps(QUEUE, job.id)).map((s) => s.name)).toEqual(['send']);
    const newest = await source.list(QUEUE, { order: 'desc', limit: 1 });
    expect(newest.jobs[0]!.id).toBe(job.id);
    expect((await source.metrics(QUEUE)).depth.succeeded.total).toBeGreaterThan(0);
    const bad = edgeSource({ baseUrl: edge, token: 'not-a-token-of-this-api' });
    expect(await bad.metrics(QUEUE).catch((e: { code: string }) => e.code)).toBe('unauthorized');
  });

  it('follows the event stream with fetch, and reconnects with backoff when it drops', async () => {
    let streams = 0;
    // The first stream is cut after its first chunk, as a flaky network would.
    const cutting = async (request: Request): Promise<Response> => {
      const response = await fetch(request);
      if (!request.url.endsWith('/events') || streams++ > 0) return response;
      const reader = response.body!.getReader();
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          const first = await reader.read();
          if (!first.done) controller.enqueue(first.value);
          controller.error(new TypeError('network error'));
          void reader.cancel();
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const source = edgeSource({ baseUrl: edge, token, fetch: cutting, reconnect: { minDelayMs: 50, maxDelayMs: 200 } });
    const statuses: FeedStatus[] = [];
    const events: FeedEvent[] = [];
    const close = source.events(
      QUEUE,
      (e) => events.push(e),
      (s) => statuses.push(s),
    );
    await expect.poll(() => streams, { timeout: 10_000 }).toBe(2);
    await expect.poll(() => statuses.at(-1)?.state).toBe('open');
    expect(statuses.map((s) => s.state)).toEqual(expect.arrayContaining(['connecting', 'open', 'retrying']));
    const client = createClient({ baseUrl: edge, token }).queue(QUEUE);
    const { job } = await client.submit({ type: 'render', payload: { template: 'Hello, {name}!', name: 'Ada' } });
    await expect.poll(() => events.filter((e) => e.jobId === job.id).map((e) => e.name), { timeout: 10_000 }).toContain('job.succeeded');
    close();
    const refused: FeedStatus[] = [];
    const closeRefused = edgeSource({ baseUrl: edge, token: 'not-a-token-of-this-api' }).events(
      QUEUE,
      () => {},
      (s) => refused.push(s),
    );
    await expect.poll(() => refused.at(-1)?.state).toBe('closed'); // a refused token is not retried
    closeRefused();
  });
});

describe('dashboard(): the hono sub-app that serves the page (the built package)', () => {
  it('serves the page at the mount path, its files with a year of cache, and nothing else; the API keeps its auth', async () => {
    // The built module (the sources hold no page files): `npm run build` made it.
    const url = new URL('../../packages/dashboard/dist/index.js', import.meta.url).href;
    const { dashboard } = (await import(/* @vite-ignore */ url)) as typeof import('@baton/dashboard');
    const app = new Hono();
    app.use('/v1/*', async (c) => c.json({ error: { code: 'unauthorized' } }, 401));
    app.route('/ops/dashboard', dashboard({ title: 'Ops <jobs>', queues: ['default'] }));

    const bare = await app.request('/ops/dashboard?x=1');
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/ops/dashboard/?x=1');
    const pageResponse = await app.request('/ops/dashboard/');
    expect(pageResponse.status).toBe(200);
    expect(pageResponse.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = pageResponse.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await pageResponse.text();
    expect(html).toContain('<title>Ops &lt;jobs&gt;</title>');
    expect(html).toContain('data-queues="[&quot;default&quot;]"');
    const files = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]!);
    expect(files.map((f) => f.replace(/-[0-9a-f]{10}\./, '-*.'))).toEqual(['app-*.css', 'app-*.js']);
    for (const file of files) {
      const asset = await app.request(`/ops/dashboard/${file}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(asset.headers.get('content-type')).toBe(file.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      expect((await asset.text()).length).toBeGreaterThan(1000);
    }
    expect((await app.request('/ops/dashboard/nope.js')).status).toBe(404);
    expect((await app.request('/v1/queues/default/metrics')).status).toBe(401);
  });
});

describe('the pieces: the event-stream parser and the metrics history', () => {
  it('parses an event stream however it is cut into chunks, with LF, CRLF or CR line ends', () => {
    const stream =
      ': connected\n\nevent: job.ready\ndata: {"a":1}\n\n: heartbeat\n\ndata: line one\ndata: line two\nid: 7\n\nevent: job.failed\ndata:{"b":2}\n\n';
    const expected: SseMessage[] = [
      { event: 'job.ready', data: '{"a":1}', id: null },
      { event: 'message', data: 'line one\nline two', id: '7' },
      { event: 'job.failed', data: '{"b":2}', id: '7' },
    ];
    for (const eol of ['\n', '\r\n', '\r']) {
      const text = stream.replaceAll('\n', eol);
      for (let cut = 0; cut <= text.length; cut++) {
        const seen: SseMessage[] = [];
        const parser = new SseParser((m) => seen.push(m));
        parser.push(text.slice(0, cut));
        parser.push(text.slice(cut));
        expect(seen, `${JSON.stringify(eol)} cut at ${cut}`).toEqual(expected);
      }
    }
  });

  it('keeps a bounded history, and takes throughput from the outcome counters, leaving a gap when they go back', () => {
    const snapshot = (atMs: number, succeeded: number, ready = 0) =>
      ({
        atMs,
        depth: Object.fromEntries(STATES.map((s) => [s, { total: s === 'ready' ? ready : 0, byPriority: [0, 0, s === 'ready' ? ready : 0, 0, 0] }])),
        byType: { t: { succeeded, failed: 0, successRatio: 1, attempts: [succeeded], successByAttempt: [1] } },
      }) as unknown as MetricsSnapshot;
    const history = new MetricsHistory(3);
    history.push(snapshot(1000, 0, 5));
    history.push(snapshot(3000, 10, 4));
    expect(history.throughput()).toEqual({ succeeded: 5, failed: 0 });
    history.push(snapshot(3000, 12)); // the same time again: ignored
    history.push(snapshot(5000, 2)); // the scheduler restarted: its counters start over
    expect(history.throughput()).toBeNull();
    history.push(snapshot(6000, 4, 1));
    expect(history.throughput()).toEqual({ succeeded: 2, failed: 0 });
    expect(history.length).toBe(3);
    expect(history.time).toEqual([3, 5, 6]);
    expect(history.depth.ready).toEqual([4, 0, 1]);
    expect(history.priority[2]).toEqual([4, 0, 1]);
  });
});
