/** The metrics panels: numbers now, depth and throughput over time, latency, outcomes per type, resources. */
import type { JobState, LatencySummary, MetricsSnapshot } from '@baton/core';
import { h } from 'preact';
import { useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { Chart, type SeriesSpec } from './charts.ts';
import { type Ctx, Panel, TableWrap } from './context.ts';
import { count, duration, percent, rate } from './format.ts';
import { ACTIVE_STATES, ALL_STATES, type MetricsHistory, PRIORITY_NAMES } from './history.ts';

/** Colours with at least 3:1 contrast on white, and dashes, so no series is told by colour alone. */
export const STATE_SERIES: Readonly<Record<(typeof ACTIVE_STATES)[number], SeriesSpec>> = {
  waiting: { label: 'waiting', color: '#6b7280', dash: [2, 3] },
  scheduled: { label: 'scheduled', color: '#8a6100', dash: [8, 4] },
  ready: { label: 'ready', color: '#0061a8' },
  running: { label: 'running', color: '#00704f', dash: [4, 2, 1, 2] },
};
const PRIORITY_SERIES: readonly SeriesSpec[] = [
  { label: 'background', color: '#6b7280', dash: [2, 3] },
  { label: 'low', color: '#0061a8', dash: [8, 4] },
  { label: 'normal', color: '#00704f' },
  { label: 'high', color: '#a34e00', dash: [4, 2, 1, 2] },
  { label: 'critical', color: '#b42318', dash: [12, 3] },
];
const THROUGHPUT_SERIES: readonly SeriesSpec[] = [
  { label: 'succeeded / s', color: '#00704f' },
  { label: 'failed / s', color: '#b42318', dash: [6, 3] },
];
const RETRY_SERIES: readonly SeriesSpec[] = [{ label: 'jobs', color: '#0061a8' }];

function peak(column: ReadonlyArray<number | null>): number | null {
  let best: number | null = null;
  for (const v of column) if (v !== null && (best === null || v > best)) best = v;
  return best;
}

function mean(column: ReadonlyArray<number | null>): number | null {
  let sum = 0;
  let n = 0;
  for (const v of column) {
    if (v !== null) {
      sum += v;
      n++;
    }
  }
  return n === 0 ? null : sum / n;
}

function windowText(history: MetricsHistory): string {
  const first = history.time[0];
  const last = history.time.at(-1);
  return first === undefined || last === undefined ? 'no samples yet' : `the last ${duration((last - first) * 1000)}`;
}

/** The numbers an operator looks at first, and the depth of every state by priority. */
export function Overview(props: { metrics: MetricsSnapshot; history: MetricsHistory }) {
  const m = props.metrics;
  const throughput = props.history.throughput();
  const unfinished = ACTIVE_STATES.reduce((sum, s) => sum + m.depth[s].total, 0);
  const cards: Array<[string, string, string]> = [
    ['unfinished', 'Unfinished', count(unfinished)],
    ['depth.ready.total', 'Ready', count(m.depth.ready.total)],
    ['depth.running.total', 'Running', count(m.depth.running.total)],
    ['depth.failed.total', 'Dead letters', count(m.depth.failed.total)],
    ['throughput', 'Finished / s', throughput === null ? '–' : rate(throughput.succeeded + throughput.failed)],
    ['waitLatency.p99Ms', 'Wait p99', duration(m.waitLatency.p99Ms)],
    ['runLatency.p99Ms', 'Run p99', duration(m.runLatency.p99Ms)],
    ['congestion.level', 'Congestion', percent(m.congestion.level)],
  ];
  return h(
    Panel,
    { id: 'overview', title: 'Now', wide: true },
    h(
      'dl',
      { class: 'cards' },
      cards.map(([key, label, value]) => h('div', { class: 'card', key }, h('dt', null, label), h('dd', { 'data-metric': key }, value))),
    ),
    h(
      TableWrap,
      { label: 'Jobs by state and priority' },
      h(
        'table',
        { class: 'numbers' },
        h('caption', null, 'Jobs by state and priority'),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { scope: 'col' }, 'state'),
            h('th', { scope: 'col' }, 'total'),
            PRIORITY_NAMES.map((p, i) => h('th', { scope: 'col', key: p }, `${p} (${i})`)),
          ),
        ),
        h(
          'tbody',
          null,
          ALL_STATES.map((state: JobState) =>
            h(
              'tr',
              { key: state },
              h('th', { scope: 'row' }, h('span', { class: `state state-${state}` }, state)),
              h('td', { 'data-metric': `depth.${state}.total` }, count(m.depth[state].total)),
              PRIORITY_NAMES.map((p, i) => h('td', { key: p, 'data-metric': `depth.${state}.byPriority.${i}` }, count(m.depth[state].byPriority[i] ?? 0))),
            ),
          ),
        ),
      ),
    ),
  );
}

function SeriesTable(props: {
  caption: string;
  rows: ReadonlyArray<{ label: string; now: string; peak: string; extra?: string }>;
  extra?: string;
  metric: string;
}) {
  return h(
    TableWrap,
    { label: props.caption },
    h(
      'table',
      { class: 'numbers' },
      h('caption', null, props.caption),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'col' }, 'series'),
          h('th', { scope: 'col' }, 'now'),
          props.extra === undefined ? null : h('th', { scope: 'col' }, props.extra),
          h('th', { scope: 'col' }, 'peak'),
        ),
      ),
      h(
        'tbody',
        null,
        props.rows.map((r) =>
          h(
            'tr',
            { key: r.label },
            h('th', { scope: 'row' }, r.label),
            h('td', { 'data-metric': `${props.metric}.${r.label}` }, r.now),
            props.extra === undefined ? null : h('td', null, r.extra ?? '–'),
            h('td', null, r.peak),
          ),
        ),
      ),
    ),
  );
}

/** Unfinished jobs by state, over time. */
export function DepthPanel(props: { history: MetricsHistory }) {
  const hist = props.history;
  const data = [hist.time, ...ACTIVE_STATES.map((s) => hist.depth[s])] as uPlot.AlignedData;
  const now = ACTIVE_STATES.map((s) => `${s} ${count(hist.depth[s].at(-1) ?? 0)}`).join(', ');
  return h(
    Panel,
    { id: 'depth', title: 'Depth by state' },
    h(Chart, {
      label: 'Unfinished jobs by state over time',
      summary: `Over ${windowText(hist)}; now ${now}.`,
      series: ACTIVE_STATES.map((s) => STATE_SERIES[s]),
      data,
      version: hist.version,
      format: count,
    }),
    h(SeriesTable, {
      caption: `Unfinished jobs by state (${windowText(hist)})`,
      metric: 'history.depth',
      rows: ACTIVE_STATES.map((s) => ({ label: s, now: count(hist.depth[s].at(-1) ?? 0), peak: count(peak(hist.depth[s]) ?? 0) })),
    }),
  );
}

/** Unfinished jobs by priority, over time. */
export function PriorityPanel(props: { history: MetricsHistory }) {
  const hist = props.history;
  const data = [hist.time, ...hist.priority] as uPlot.AlignedData;
  const now = PRIORITY_NAMES.map((p, i) => `${p} ${count(hist.priority[i]!.at(-1) ?? 0)}`).join(', ');
  return h(
    Panel,
    { id: 'priority', title: 'Depth by priority' },
    h(Chart, {
      label: 'Unfinished jobs by priority over time',
      summary: `Over ${windowText(hist)}; now ${now}.`,
      series: PRIORITY_SERIES,
      data,
      version: hist.version,
      format: count,
    }),
    h(SeriesTable, {
      caption: `Unfinished jobs by priority (${windowText(hist)})`,
      metric: 'history.priority',
      rows: PRIORITY_NAMES.map((p, i) => ({ label: p, now: count(hist.priority[i]!.at(-1) ?? 0), peak: count(peak(hist.priority[i]!) ?? 0) })),
    }),
  );
}

/** Jobs finished per second, between successive snapshots. */
export function ThroughputPanel(props: { history: MetricsHistory }) {
  const hist = props.history;
  const data = [hist.time, hist.succeededPerSecond, hist.failedPerSecond] as uPlot.AlignedData;
  const now = hist.throughput();
  const columns = [hist.succeededPerSecond, hist.failedPerSecond];
  return h(
    Panel,
    { id: 'throughput', title: 'Throughput' },
    h(Chart, {
      label: 'Jobs finished per second over time',
      summary:
        now === null ? 'Not enough samples yet.' : `Over ${windowText(hist)}; now ${rate(now.succeeded)} succeeded and ${rate(now.failed)} failed per second.`,
      series: THROUGHPUT_SERIES,
      data,
      version: hist.version,
      format: rate,
    }),
    h(SeriesTable, {
      caption: `Jobs finished per second (${windowText(hist)})`,
      metric: 'history.throughput',
      extra: 'mean',
      rows: THROUGHPUT_SERIES.map((s, i) => ({
        label: s.label,
        now: rate(columns[i]!.at(-1)),
        extra: rate(mean(columns[i]!)),
        peak: rate(peak(columns[i]!)),
      })),
    }),
  );
}

function latencyRow(label: string, l: LatencySummary, key: string) {
  return h(
    'tr',
    { key },
    h('th', { scope: 'row' }, label),
    h('td', { 'data-metric': `${key}.count` }, count(l.count)),
    h('td', { 'data-metric': `${key}.p50Ms` }, duration(l.p50Ms)),
    h('td', { 'data-metric': `${key}.p90Ms` }, duration(l.p90Ms)),
    h('td', { 'data-metric': `${key}.p99Ms` }, duration(l.p99Ms)),
    h('td', { 'data-metric': `${key}.maxMs` }, duration(l.maxMs)),
  );
}

/** Wait (ready → running) and run (running → finished) latency percentiles, stalls and silent jobs. */
export function LatencyPanel(props: { ctx: Ctx; metrics: MetricsSnapshot }) {
  const m = props.metrics;
  return h(
    Panel,
    { id: 'latency', title: 'Latency' },
    h(
      TableWrap,
      { label: 'Latency percentiles' },
      h(
        'table',
        { class: 'numbers' },
        h('caption', null, 'Latency percentiles since the scheduler started'),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['', 'count', 'p50', 'p90', 'p99', 'max'].map((c, i) => (i === 0 ? h('td', { key: 'blank' }) : h('th', { scope: 'col', key: c }, c))),
          ),
        ),
        h('tbody', null, latencyRow('wait (ready → running)', m.waitLatency, 'waitLatency'), latencyRow('run (running → done)', m.runLatency, 'runLatency')),
      ),
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', null, 'Stalled jobs recovered'),
      h('dd', { 'data-metric': 'stalled' }, count(m.stalled)),
      // `counts` is newer than the rest: an older scheduler may not send it.
      ...(m.counts === undefined
        ? []
        : [
            h('dt', { key: 'counts-t' }, 'Since the scheduler started'),
            h(
              'dd',
              { key: 'counts-d', 'data-metric': 'counts' },
              `${count(m.counts.submitted)} submitted, ${count(m.counts.retried)} retried, ${count(m.counts.deferred)} deferred, ${count(m.counts.shed)} shed, ${count(m.counts.parked)} parked`,
            ),
          ]),
      h('dt', null, 'Running without a heartbeat'),
      h(
        'dd',
        { 'data-metric': 'silent' },
        m.silent.length === 0
          ? 'none'
          : h(
              'ul',
              { class: 'inline-list' },
              m.silent.slice(0, 10).map((id) => h('li', { key: id }, h(JobLink, { ctx: props.ctx, id }))),
              m.silent.length > 10 ? h('li', null, `and ${count(m.silent.length - 10)} more`) : null,
            ),
      ),
    ),
  );
}

/** A job id that opens the job's detail. */
export function JobLink(props: { ctx: Ctx; id: string; label?: string }) {
  return h(
    'button',
    { type: 'button', class: 'link mono', onClick: () => props.ctx.openJob(props.id), 'aria-label': props.label ?? `Open job ${props.id}` },
    props.id,
  );
}

/** Outcomes per job type: success ratio, and how many attempts jobs needed (the retry histogram). */
export function TypesPanel(props: { metrics: MetricsSnapshot }) {
  const types = Object.keys(props.metrics.byType).sort();
  const [picked, pick] = useState<string | null>(null);
  const type = picked !== null && types.includes(picked) ? picked : (types[0] ?? null);
  const outcome = type === null ? undefined : props.metrics.byType[type];
  const attempts = outcome?.attempts ?? [];
  const version = `${type}:${attempts.join(',')}`;
  const data = [attempts.map((_, i) => i + 1), [...attempts]] as uPlot.AlignedData;
  return h(
    Panel,
    { id: 'types', title: 'Retries and outcomes by job type' },
    types.length === 0
      ? h('p', { class: 'empty' }, 'No job has finished since the scheduler started.')
      : [
          h(
            TableWrap,
            { label: 'Outcomes by job type', key: 'table' },
            h(
              'table',
              { class: 'numbers fit' },
              h('caption', null, 'Outcomes by job type since the scheduler started'),
              h(
                'thead',
                null,
                h(
                  'tr',
                  null,
                  h('th', { scope: 'col' }, 'type'),
                  h('th', { scope: 'col' }, 'succeeded'),
                  h('th', { scope: 'col' }, 'failed'),
                  h('th', { scope: 'col' }, 'success ratio'),
                  h('th', { scope: 'col' }, 'jobs by attempts used'),
                ),
              ),
              h(
                'tbody',
                null,
                types.map((t) => {
                  const o = props.metrics.byType[t]!;
                  return h(
                    'tr',
                    { key: t },
                    h('th', { scope: 'row', class: 'mono' }, t),
                    h('td', { 'data-metric': `byType.${t}.succeeded` }, count(o.succeeded)),
                    h('td', { 'data-metric': `byType.${t}.failed` }, count(o.failed)),
                    h('td', { 'data-metric': `byType.${t}.successRatio` }, percent(o.successRatio)),
                    h('td', { 'data-metric': `byType.${t}.attempts` }, o.attempts.map((n, i) => `${i + 1}: ${count(n)}`).join(' · ')),
                  );
                }),
              ),
            ),
          ),
          h(
            'div',
            { class: 'field', key: 'pick' },
            h('label', { for: 'retry-type' }, 'Retry histogram for'),
            h(
              'select',
              { id: 'retry-type', value: type ?? '', onChange: (e: Event) => pick((e.currentTarget as HTMLSelectElement).value) },
              types.map((t) => h('option', { key: t, value: t }, t)),
            ),
          ),
          h(Chart, {
            key: 'chart',
            kind: 'bars',
            label: `Jobs of type ${type} by attempts used`,
            summary: attempts.map((n, i) => `${count(n)} needed ${i + 1} attempt${i === 0 ? '' : 's'}`).join(', ') || 'none finished',
            series: RETRY_SERIES,
            data,
            version,
            height: 150,
          }),
          h(
            TableWrap,
            { label: `Attempts of ${type}`, key: 'attempts' },
            h(
              'table',
              { class: 'numbers' },
              h('caption', null, `Attempts of ${type}: jobs that needed each, and the chance each attempt succeeds`),
              h(
                'thead',
                null,
                h('tr', null, h('th', { scope: 'col' }, 'attempt'), h('th', { scope: 'col' }, 'jobs'), h('th', { scope: 'col' }, 'succeeds when reached')),
              ),
              h(
                'tbody',
                null,
                attempts.map((n, i) =>
                  h(
                    'tr',
                    { key: i },
                    h('th', { scope: 'row' }, String(i + 1)),
                    h('td', { 'data-metric': `byType.${type}.attempts.${i}` }, count(n)),
                    h('td', { 'data-metric': `byType.${type}.successByAttempt.${i}` }, percent(outcome?.successByAttempt[i])),
                  ),
                ),
              ),
            ),
          ),
        ],
  );
}

/** Breakers, retry budgets, throttles and rate limits per resource, and the queue's congestion. */
export function ResourcesPanel(props: { metrics: MetricsSnapshot }) {
  const m = props.metrics;
  const names = Object.keys(m.resources).sort();
  return h(
    Panel,
    { id: 'resources', title: 'Resources and congestion' },
    h(
      'div',
      { class: 'congestion' },
      h('label', { for: 'congestion-meter' }, 'Congestion'),
      h('meter', { id: 'congestion-meter', min: 0, max: 1, low: 0.25, high: 0.75, optimum: 0, value: m.congestion.level }),
      h('span', { 'data-metric': 'congestion' }, `${percent(m.congestion.level)}: ${count(m.congestion.readyDepth)} ready`),
    ),
    backpressureLine(m.backpressure),
    names.length === 0
      ? h('p', { class: 'empty' }, 'No job has named a resource yet.')
      : h(
          TableWrap,
          { label: 'Resources' },
          h(
            'table',
            { class: 'numbers fit' },
            h('caption', null, 'Resources: what protects each downstream'),
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                h('th', { scope: 'col' }, 'resource'),
                h('th', { scope: 'col' }, 'breaker'),
                h('th', { scope: 'col' }, 'failure rate (1 min)'),
                h('th', { scope: 'col' }, 'retry budget'),
                h('th', { scope: 'col' }, 'throttle rejects'),
                h('th', { scope: 'col' }, 'rate-limit tokens'),
              ),
            ),
            h(
              'tbody',
              null,
              names.map((name) => {
                const r = m.resources[name]!;
                return h(
                  'tr',
                  { key: name },
                  h('th', { scope: 'row', class: 'mono' }, name),
                  h(
                    'td',
                    { 'data-metric': `resources.${name}.breaker` },
                    r.breaker === null
                      ? 'none'
                      : h(
                          'span',
                          { class: `breaker breaker-${r.breaker}` },
                          r.breaker,
                          r.breakerOpenedTimes > 0 ? ` (opened ${count(r.breakerOpenedTimes)}×)` : '',
                        ),
                  ),
                  h('td', { 'data-metric': `resources.${name}.failureRate` }, percent(r.failureRate)),
                  h(
                    'td',
                    { 'data-metric': `resources.${name}.retryBudget` },
                    r.retryBudget === null ? 'none' : `${count(r.retryBudget.retries)} retries / ${count(r.retryBudget.firstAttempts)} first attempts`,
                  ),
                  h(
                    'td',
                    { 'data-metric': `resources.${name}.throttle` },
                    r.throttleRejectProbability === null ? 'none' : percent(r.throttleRejectProbability),
                  ),
                  h('td', { 'data-metric': `resources.${name}.tokens` }, r.tokens === null ? 'none' : rate(r.tokens)),
                );
              }),
            ),
          ),
        ),
  );
}

/** The backpressure limits in force and how close they are, or nothing when none is set. */
function backpressureLine(b: MetricsSnapshot['backpressure']) {
  const parts: string[] = [];
  if (b.maxUnfinished !== null) parts.push(`${count(b.unfinished)} unfinished of at most ${count(b.maxUnfinished)}`);
  if (b.perQueue !== null) parts.push(`at most ${count(b.perQueue)} a queue`);
  if (b.perKey !== null) parts.push(`at most ${count(b.perKey)} a fairness key`);
  if (parts.length === 0) return null;
  parts.push(`${count(b.refused)} refused`);
  const fullest = b.fullestKeys.map((k) => `${k.queue}/${k.key} ${count(k.unfinished)}`).join(', ');
  return h(
    'p',
    { class: 'backpressure', 'data-metric': 'backpressure' },
    `Backpressure: ${parts.join('; ')}${fullest === '' ? '' : `; fullest keys: ${fullest}`}`,
  );
}
