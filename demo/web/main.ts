/**
 * The demo page: it submits work to the scheduler its Worker hosts (and
 * that every tab shares), calls the edge API directly for jobs that run in
 * the Durable Object, and queues jobs for the edge through the outbox.
 */
import { type BatonClient, connect, toEdge } from '@baton/browser';
import type { JobRecord, SchedulerEvent } from '@baton/core';
import { createClient } from '@baton/edge/client';
import type { handlers } from './jobs.worker.ts';
import { type NetMode, setNetMode } from './net.ts';

const TOKEN = 'dev-token-change-me'; // the development token `npm start` configures
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
/** A job id as people read it: its generator and its counter (ids sort by time; the tail counts). */
const short = (id: string) => `${id.slice(10, 13)}·${Number.parseInt(id.slice(-8), 32)}`;
const edge = createClient({ baseUrl: location.origin, token: TOKEN }).queue('default');

// ---- the worker, and what it tells us ------------------------------------

let worker: Worker;
let baton: BatonClient<typeof handlers>;
const logged: string[] = [];
const tileViews = new Map<string, HTMLLIElement>();

function log(event: SchedulerEvent): void {
  if (!('to' in event)) {
    if (event.name === 'job.progress') updateTile(event.jobId, event.progress as { done: number; of: number });
    return;
  }
  const cause = event.cause.message === undefined ? event.cause.code : `${event.cause.code}: ${event.cause.message}`;
  logged.unshift(
    `${new Date(event.atMs).toISOString().slice(11, 23)} ${event.type.padEnd(5)} ${short(event.jobId)} ${event.from ?? '·'} → ${event.to} (${cause})`,
  );
  logged.length = Math.min(logged.length, 200);
  $('log').replaceChildren(...logged.map((line) => Object.assign(document.createElement('li'), { textContent: line })));
  if (event.type === 'tile' && (event.to === 'succeeded' || event.to === 'failed' || event.to === 'cancelled')) void finishTile(event.jobId);
}

async function start(): Promise<void> {
  // The worker's name carries the network switch, so a reloaded page's worker starts as the page left it.
  worker = new Worker(new URL('./jobs.worker.ts', import.meta.url), { type: 'module', name: sessionStorage.getItem('net') ?? 'online' });
  baton = connect<typeof handlers>(worker);
  await baton.subscribe(log);
}

// ---- offloading ------------------------------------------------------------

function tileItem(id: string): HTMLLIElement {
  let li = tileViews.get(id);
  if (li === undefined) {
    li = document.createElement('li');
    li.dataset.jobId = id;
    const progress = Object.assign(document.createElement('progress'), { max: 1, value: 0 });
    progress.setAttribute('aria-label', `tile ${short(id)}`);
    const cancel = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Cancel', className: 'secondary' });
    cancel.setAttribute('aria-label', `Cancel tile ${short(id)}`);
    cancel.onclick = () => void baton.cancel(id).catch(() => {});
    li.append(Object.assign(document.createElement('span'), { textContent: `${short(id)} ` }), progress, cancel);
    tileViews.set(id, li);
    $('tiles').prepend(li);
  }
  return li;
}

function updateTile(id: string, progress: { done: number; of: number }): void {
  const bar = tileViews.get(id)?.querySelector('progress');
  if (bar !== null && bar !== undefined) bar.value = progress.done / progress.of;
}

async function finishTile(id: string): Promise<void> {
  const li = tileViews.get(id);
  if (li === undefined) return;
  const job = (await baton.get(id)) as JobRecord | undefined;
  li.dataset.state = job?.state ?? 'gone';
  if (job?.state === 'succeeded' && typeof job.result === 'string') {
    li.replaceChildren(Object.assign(document.createElement('img'), { src: job.result, alt: `Mandelbrot tile ${short(id)}` }));
  } else {
    li.replaceChildren(Object.assign(document.createElement('span'), { textContent: `${short(id)} ${job?.state ?? 'gone'}` }));
  }
}

$('render-tiles').onclick = async () => {
  const priority = Number(($('tile-priority') as HTMLSelectElement).value) as 0 | 2 | 4;
  const results = await baton.submitAll(
    Array.from({ length: 4 }, () => ({
      type: 'tile' as const,
      priority,
      // Around the seahorse valley, at a random zoom: each tile takes a few hundred ms of CPU.
      payload: {
        size: 320,
        x: -0.7436 + (Math.random() - 0.5) * 0.01,
        y: 0.1318 + (Math.random() - 0.5) * 0.01,
        zoom: 40 + Math.random() * 160,
        iterations: 800,
      },
    })),
  );
  for (const r of results) tileItem(r.job.id);
};

$('kill-worker').onclick = async () => {
  // As if the tab's worker crashed: its running jobs are recovered by the next worker once their lease lapses.
  baton.close();
  worker.terminate();
  await start();
};

$('flood').onclick = async () => {
  const tiny = { size: 48, x: -0.75, y: 0.1, zoom: 1, iterations: 200 };
  const t0 = performance.now();
  const background = await baton.submitAll(Array.from({ length: 200 }, () => ({ type: 'tile' as const, priority: 0 as const, payload: tiny })));
  const critical = await baton.submitAll(Array.from({ length: 3 }, () => ({ type: 'tile' as const, priority: 4 as const, payload: tiny })));
  $('flood-summary').textContent = 'flooding…';
  await Promise.all(critical.map((r) => baton.waitFor(r.job)));
  const criticalMs = Math.round(performance.now() - t0);
  const done = (await Promise.all(background.map((r) => baton.get(r.job.id)))).filter((j) => j?.state === 'succeeded').length;
  $('flood-summary').textContent = `the 3 critical jobs finished ${criticalMs} ms after the flood began, while ${done} of 200 background jobs had run`;
};

// ---- the main thread stays free ----------------------------------------------

const frames: number[] = [];
let last = performance.now();
let x = 0;
const ball = ($('ball') as HTMLCanvasElement).getContext('2d')!;
function frame(now: number): void {
  frames.push(now - last);
  last = now;
  if (frames.length > 300) frames.shift();
  x = (x + 2) % 240;
  ball.clearRect(0, 0, 240, 48);
  ball.fillStyle = '#e76f51';
  ball.beginPath();
  ball.arc(x, 24, 12, 0, Math.PI * 2);
  ball.fill();
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
setInterval(() => {
  const recent = frames.slice(-120);
  const longest = Math.round(Math.max(...recent));
  $('frames').textContent = `longest frame in the last ${recent.length} frames: ${longest} ms`;
  $('frames').dataset.longestMs = String(longest);
}, 500);
let worstInput = 0;
const onInput = (e: Event) => {
  const latency = Math.round(performance.now() - e.timeStamp);
  worstInput = Math.max(worstInput, latency);
  $('input-latency').textContent = `input latency: ${latency} ms (worst ${worstInput} ms)`;
};
addEventListener('keydown', onInput);
addEventListener('pointerdown', onInput);

// ---- edge jobs ---------------------------------------------------------------

const edgeIds: string[] = [];
$('downstream').onchange = async () => {
  await fetch('/v1/queues/default/downstream', {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ mode: ($('downstream') as HTMLSelectElement).value }),
  });
};
$('call-downstream').onclick = async () => {
  const results = await edge.submitAll(
    Array.from({ length: 5 }, (_, i) => ({
      type: 'flaky',
      payload: { n: i },
      resource: 'downstream',
      retry: { maxAttempts: 2, backoff: { kind: 'exponential' as const, delayMs: 500, maxDelayMs: 4_000 } },
    })),
  );
  edgeIds.unshift(...results.map((r) => r.job.id));
  edgeIds.length = Math.min(edgeIds.length, 20);
};
async function refreshEdge(): Promise<void> {
  const jobs = (await Promise.all(edgeIds.map((id) => edge.get(id)))).filter((j): j is JobRecord => j !== undefined);
  $('edge-jobs').replaceChildren(
    ...jobs.map((job) => {
      const row = document.createElement('tr');
      const last = job.history.at(-1)?.cause;
      for (const text of [
        `${short(job.id)}`,
        job.state,
        String(job.attempt),
        last === undefined ? '' : `${last.code}${last.message === undefined ? '' : `: ${last.message}`}`,
      ]) {
        row.append(Object.assign(document.createElement('td'), { textContent: text }));
      }
      const cell = document.createElement('td');
      if (job.state === 'failed') {
        const retry = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Retry', className: 'secondary' });
        retry.setAttribute('aria-label', `Retry job ${short(job.id)}`);
        retry.onclick = () => void edge.retry(job.id);
        cell.append(retry);
      }
      row.append(cell);
      return row;
    }),
  );
  const breaker = (await edge.metrics()).resources.downstream;
  $('breaker').textContent =
    breaker === undefined
      ? 'breaker: not used yet'
      : `breaker: ${breaker.breaker} (opened ${breaker.breakerOpenedTimes} times), failure rate ${Math.round(breaker.failureRate * 100)} %`;
}

// ---- offline and back ----------------------------------------------------------

const session = sessionStorage.getItem('ledger') ?? `s${Date.now().toString(36)}`;
sessionStorage.setItem('ledger', session);
const offline = $('offline') as HTMLInputElement;
offline.checked = sessionStorage.getItem('net') === 'offline';
function net(mode: NetMode): void {
  sessionStorage.setItem('net', mode);
  setNetMode(mode);
}
offline.onchange = () => {
  net(offline.checked ? 'offline' : 'online');
  // Back online: tell the scheduler at once, rather than at its next probe.
  if (!offline.checked) void baton.setOnline(true);
};
($('chaos-net') as HTMLSelectElement).onchange = (e) => net((e.target as HTMLSelectElement).value as NetMode);
let queued = Number(sessionStorage.getItem('queued') ?? 0);
$('queue-edge').onclick = async () => {
  const jobs = Array.from({ length: 12 }, (_, i) => {
    const key = `${session}-k${i % 3}`;
    return toEdge({ type: 'append', payload: { key, seq: queued + i } }, { key });
  });
  queued += 12;
  sessionStorage.setItem('queued', String(queued));
  await baton.submitAll(jobs);
};
$('reload').onclick = () => location.reload();
async function refreshLedger(): Promise<void> {
  const response = await fetch(`/v1/queues/default/ledger?prefix=${session}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const rows = (await response.json()) as Array<{ key: string; seq: number }>;
  $('ledger').replaceChildren(...rows.map((r) => Object.assign(document.createElement('li'), { textContent: `${r.key.slice(session.length + 1)} #${r.seq}` })));
  const seqs = rows.map((r) => r.seq);
  const once = new Set(seqs).size === seqs.length;
  const ordered = [0, 1, 2].every((k) => {
    const own = rows.filter((r) => r.key.endsWith(`-k${k}`)).map((r) => r.seq);
    return own.every((s, i) => i === 0 || s > own[i - 1]!);
  });
  const summary = $('outbox-summary');
  summary.textContent = `${rows.length} of ${queued} delivered; each once: ${once ? 'yes' : 'NO'}; in order per key: ${ordered ? 'yes' : 'NO'}`;
  Object.assign(summary.dataset, { delivered: String(rows.length), queued: String(queued), once: String(once), ordered: String(ordered) });
}

// ---- start -------------------------------------------------------------------

await start();
setNetMode((sessionStorage.getItem('net') as NetMode | null) ?? 'online');
setInterval(() => void refreshEdge().catch(() => {}), 1_000);
setInterval(() => void refreshLedger().catch(() => {}), 1_000);
document.body.dataset.ready = 'true';
