/** The dashboard itself: polls metrics, follows the event stream, and lays out the panels. */
import type { MetricsSnapshot } from '@baton/core';
import { h, render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Ctx } from './context.ts';
import { JobDetail } from './detail.ts';
import { EventFeed, FEED_SIZE } from './feed.ts';
import { clockTime, codeOf, message } from './format.ts';
import { ALL_STATES, finishedOf, MetricsHistory } from './history.ts';
import { DeadLetters, JobsExplorer } from './jobs.ts';
import { DepthPanel, LatencyPanel, Overview, PriorityPanel, ResourcesPanel, ThroughputPanel, TypesPanel } from './panels.ts';
import type { DashboardSource, FeedEvent, FeedStatus } from './source.ts';

export interface DashboardOptions {
  /** How often metrics are read. @default 2000 */
  readonly pollMs?: number;
  /** Metrics snapshots kept for the charts (the oldest drops out). @default 300 (10 minutes at 2 s) */
  readonly historySize?: number;
  /** The heading. @default 'Baton' */
  readonly title?: string;
  /** Keep the queue and the open job in `location.hash` (`#queue=…&job=…`), so a link opens them. @default false */
  readonly hash?: boolean;
  /** Shows a "Sign out" button that calls this. */
  readonly onSignOut?: () => void;
  /** Called when the source refuses the credentials (an `unauthorized` error). */
  readonly onUnauthorized?: (message: string) => void;
}

function readHash(): { queue?: string; job?: string } {
  const params = new URLSearchParams(location.hash.slice(1));
  const queue = params.get('queue');
  const job = params.get('job');
  return { ...(queue === null ? {} : { queue }), ...(job === null ? {} : { job }) };
}

function writeHash(queue: string, job: string | null): void {
  const params = new URLSearchParams({ queue });
  if (job !== null) params.set('job', job);
  const next = `#${params.toString()}`;
  if (location.hash !== next) history.replaceState(null, '', next);
}

/** A key that changes when the queue's jobs do: counts per state, and outcomes seen. */
function changeKey(m: MetricsSnapshot | null): string {
  if (m === null) return '';
  const f = finishedOf(m);
  return `${ALL_STATES.map((s) => m.depth[s].total).join(',')}|${f.succeeded},${f.failed}`;
}

/** The dashboard as a Preact component, over any `DashboardSource`. */
export function Dashboard(props: { source: DashboardSource; options?: DashboardOptions }) {
  const { source } = props;
  const options = props.options ?? {};
  const pollMs = Math.max(250, options.pollMs ?? 2000);
  const [queues, setQueues] = useState<readonly string[] | null>(null);
  const [queuesError, setQueuesError] = useState<string | null>(null);
  const [queue, setQueue] = useState<string | null>(null);
  const [metrics, setMetrics] = useState<MetricsSnapshot | null>(null);
  const [pollError, setPollError] = useState<string | null>(null);
  const [updatesPaused, setUpdatesPaused] = useState(false);
  const [openId, setOpenId] = useState<string | null>(null);
  const [detailEvents, setDetailEvents] = useState(0);
  const [actions, setActions] = useState(0);
  const [announcement, setAnnouncement] = useState('');
  const [feed, setFeed] = useState<readonly FeedEvent[]>([]);
  const [feedStatus, setFeedStatus] = useState<FeedStatus>({ state: 'connecting' });
  const [feedPaused, setFeedPaused] = useState(false);
  const [perSecond, setPerSecond] = useState(0);
  const history = useRef(new MetricsHistory(options.historySize));
  const openRef = useRef<string | null>(null);
  const pausedRef = useRef({ updates: false, feed: false });
  const opener = useRef<HTMLElement | null>(null);
  const unauthorized = useRef(options.onUnauthorized);
  unauthorized.current = options.onUnauthorized;
  openRef.current = openId;
  pausedRef.current = { updates: updatesPaused, feed: feedPaused };

  // The queues, then the one the link names (or the first).
  useEffect(() => {
    let live = true;
    source.queues().then(
      (names) => {
        if (!live) return;
        setQueues(names);
        const wanted = options.hash === true ? readHash() : {};
        setQueue(wanted.queue !== undefined && names.includes(wanted.queue) ? wanted.queue : (names[0] ?? null));
        if (wanted.job !== undefined) setOpenId(wanted.job);
      },
      (e: unknown) => live && setQueuesError(message(e)),
    );
    return () => {
      live = false;
    };
  }, [source]);

  useEffect(() => {
    if (options.hash === true && queue !== null) writeHash(queue, openId);
  }, [queue, openId]);

  // Metrics every `pollMs`, into a bounded history; slower after an error, and never sooner than a `Retry-After`.
  useEffect(() => {
    if (queue === null) return;
    history.current = new MetricsHistory(options.historySize);
    setMetrics(null);
    setPollError(null);
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const tick = async () => {
      let delay = pollMs;
      if (!pausedRef.current.updates) {
        try {
          const m = await source.metrics(queue);
          if (stopped) return;
          failures = 0;
          history.current.push(m);
          setMetrics(m);
          setPollError(null);
        } catch (e) {
          if (stopped) return;
          if (codeOf(e) === 'unauthorized') {
            unauthorized.current?.(message(e));
            return;
          }
          failures++;
          const retryAfterMs = (e as { retryAfterMs?: unknown }).retryAfterMs;
          delay = Math.max(Math.min(30_000, pollMs * 2 ** failures), typeof retryAfterMs === 'number' ? retryAfterMs : 0);
          setPollError(`${message(e)} (trying again in ${Math.round(delay / 1000)} s)`);
        }
      }
      if (!stopped) timer = setTimeout(tick, delay);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [queue, source, pollMs]);

  // The event stream: buffered, and drawn at most every 400 ms, so a busy queue cannot flood the page.
  useEffect(() => {
    if (queue === null) return;
    setFeed([]);
    let buffer: FeedEvent[] = [];
    let touchedOpen = false;
    let seen = 0;
    let since = Date.now();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = () => {
      timer = null;
      const batch = buffer;
      buffer = [];
      if (!pausedRef.current.feed && batch.length > 0) setFeed((prev) => [...batch.reverse(), ...prev].slice(0, FEED_SIZE));
      if (touchedOpen) setDetailEvents((n) => n + 1);
      touchedOpen = false;
    };
    const off = source.events(
      queue,
      (event) => {
        seen++;
        buffer.push(event);
        if (buffer.length > FEED_SIZE) buffer.splice(0, buffer.length - FEED_SIZE);
        if (event.jobId === openRef.current) touchedOpen = true;
        timer ??= setTimeout(flush, 400);
      },
      setFeedStatus,
    );
    const meter = setInterval(() => {
      const now = Date.now();
      setPerSecond((seen * 1000) / Math.max(1, now - since));
      seen = 0;
      since = now;
    }, 2000);
    return () => {
      off();
      clearInterval(meter);
      if (timer !== null) clearTimeout(timer);
    };
  }, [queue, source]);

  // The last action's outcome stays in view a while, then goes.
  useEffect(() => {
    if (announcement === '') return;
    const timer = setTimeout(() => setAnnouncement(''), 15_000);
    return () => clearTimeout(timer);
  }, [announcement]);

  const changed = `${changeKey(metrics)}#${actions}`;
  const ctx: Ctx | null = useMemo(
    () =>
      queue === null
        ? null
        : {
            source,
            queue,
            changed,
            openJob: (id: string) => {
              if (openRef.current === null && document.activeElement instanceof HTMLElement) opener.current = document.activeElement;
              setOpenId(id);
              requestAnimationFrame(() => document.getElementById('job-detail')?.scrollIntoView({ block: 'start', behavior: 'smooth' }));
            },
            act: async (action: 'retry' | 'cancel', id: string) => {
              try {
                const job = action === 'retry' ? await source.retry(queue, id) : await source.cancel(queue, id);
                setAnnouncement(`Job ${id} ${action === 'retry' ? 'sent back to run' : 'cancelled'}: now ${job.state}.`);
              } catch (e) {
                if (codeOf(e) === 'unauthorized') unauthorized.current?.(message(e));
                setAnnouncement(`Could not ${action} job ${id}: ${message(e)}`);
              } finally {
                setActions((n) => n + 1);
                setDetailEvents((n) => n + 1);
              }
            },
          },
    [source, queue, changed],
  );

  const close = () => {
    setOpenId(null);
    const back = opener.current;
    opener.current = null;
    requestAnimationFrame(() => {
      if (back?.isConnected === true) back.focus();
      else document.getElementById('dashboard-title')?.focus();
    });
  };

  const title = options.title ?? 'Baton';
  const header = h(
    'header',
    { class: 'top' },
    h('h1', { id: 'dashboard-title', tabIndex: -1 }, title),
    h('span', { class: 'muted' }, source.label),
    queues === null
      ? null
      : h(
          'div',
          { class: 'field' },
          h('label', { for: 'queue-select' }, 'Queue'),
          h(
            'select',
            {
              id: 'queue-select',
              value: queue ?? '',
              onChange: (e: Event) => {
                setOpenId(null);
                setQueue((e.currentTarget as HTMLSelectElement).value);
              },
            },
            queues.map((q) => h('option', { key: q, value: q }, q)),
          ),
        ),
    h(
      'p',
      { class: 'status grow', 'data-field': 'poll-status' },
      pollError !== null
        ? h('span', { class: 'error' }, `Metrics: ${pollError}`)
        : metrics === null
          ? 'Loading metrics…'
          : updatesPaused
            ? `Paused at ${clockTime(metrics.atMs)}`
            : `Updated ${clockTime(metrics.atMs)}`,
    ),
    h(
      'button',
      { type: 'button', 'aria-pressed': updatesPaused, onClick: () => setUpdatesPaused(!updatesPaused) },
      updatesPaused ? 'Resume updates' : 'Pause updates',
    ),
    options.onSignOut === undefined ? null : h('button', { type: 'button', onClick: options.onSignOut }, 'Sign out'),
    h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' }, announcement),
  );

  if (queuesError !== null)
    return h(
      'div',
      { class: 'bd' },
      header,
      h('main', { class: 'grid' }, h('p', { class: 'error', role: 'alert' }, `Could not load the queues: ${queuesError}`)),
    );
  if (ctx === null) return h('div', { class: 'bd' }, header, h('main', { class: 'grid' }, h('p', { class: 'empty' }, 'Loading…')));

  const jumps: Array<[string, string]> = [
    ['overview', 'Now'],
    ['depth', 'Charts'],
    ['types', 'Retries'],
    ['dead-letters', 'Dead letters'],
    ['jobs', 'Jobs'],
    ['feed', 'Live events'],
  ];
  return h(
    'div',
    { class: 'bd' },
    header,
    h(
      'nav',
      { 'aria-label': 'Sections' },
      h(
        'ul',
        { class: 'jump' },
        jumps.map(([id, label]) =>
          h(
            'li',
            { key: id },
            h(
              'a',
              {
                href: `#${id}`,
                onClick: (e: Event) => {
                  e.preventDefault();
                  const target = document.getElementById(id);
                  target?.scrollIntoView({ block: 'start' });
                  target?.querySelector<HTMLElement>('h2')?.setAttribute('tabindex', '-1');
                  target?.querySelector<HTMLElement>('h2')?.focus();
                },
              },
              label,
            ),
          ),
        ),
      ),
    ),
    h(
      'main',
      { class: 'grid', 'aria-labelledby': 'dashboard-title' },
      announcement === '' ? null : h('p', { class: 'panel wide notice', 'aria-hidden': 'true' }, announcement),
      openId === null
        ? null
        : h(
            'div',
            {
              class: 'panel-slot wide',
              onKeyDown: (e: KeyboardEvent) => {
                if (e.key === 'Escape') close();
              },
            },
            h(JobDetail, { ctx, id: openId, events: detailEvents, onClose: close }),
          ),
      metrics === null
        ? h('p', { class: 'panel wide empty' }, pollError ?? 'Loading metrics…')
        : [
            h(Overview, { key: 'overview', metrics, history: history.current }),
            h(DepthPanel, { key: 'depth', history: history.current }),
            h(PriorityPanel, { key: 'priority', history: history.current }),
            h(ThroughputPanel, { key: 'throughput', history: history.current }),
            h(LatencyPanel, { key: 'latency', ctx, metrics }),
            h(TypesPanel, { key: 'types', metrics }),
            h(ResourcesPanel, { key: 'resources', metrics }),
            h(DeadLetters, { key: 'dead', ctx, total: metrics.depth.failed.total }),
            h(JobsExplorer, { key: 'jobs', ctx, types: Object.keys(metrics.byType).sort() }),
          ],
      h(EventFeed, {
        ctx,
        events: feed,
        status: feedStatus,
        perSecond,
        paused: feedPaused,
        onPause: (paused: boolean) => setFeedPaused(paused),
      }),
    ),
  );
}

/** Renders the dashboard into `element` (without its style sheet); returns the function that removes it. */
export function renderDashboard(element: Element, source: DashboardSource, options: DashboardOptions = {}): () => void {
  render(h(Dashboard, { source, options }), element);
  return () => render(null, element);
}
