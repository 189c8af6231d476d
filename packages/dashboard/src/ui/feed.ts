/** The live event feed: the newest events of the queue, a bounded few, as they come. */
import { h } from 'preact';
import { type Ctx, Panel } from './context.ts';
import { clockTime, count, duration, json, rate } from './format.ts';
import { JobLink } from './panels.ts';
import type { FeedEvent, FeedStatus } from './source.ts';

/** Events the feed keeps and shows: older ones drop out. */
export const FEED_SIZE = 50;

export function statusText(status: FeedStatus): string {
  switch (status.state) {
    case 'connecting':
      return 'connecting…';
    case 'open':
      return 'live';
    case 'retrying':
      return `reconnecting in ${duration(status.inMs)} (${status.error})`;
    case 'closed':
      return `closed: ${status.error}`;
  }
}

function detailOf(e: FeedEvent): string {
  switch (e.name) {
    case 'job.progress':
      return json(e.progress, 120).replace(/\s+/g, ' ');
    case 'job.deduplicated':
      return `idempotency key ${e.idempotencyKey}`;
    case 'job.stalled':
      return `${e.cause.code}${e.cause.message === undefined ? '' : `: ${e.cause.message}`}`;
    default:
      return `${e.from ?? '(new)'} → ${e.to}, ${e.cause.code}${e.cause.message === undefined ? '' : `: ${e.cause.message}`}`;
  }
}

export function EventFeed(props: {
  ctx: Ctx;
  events: readonly FeedEvent[];
  status: FeedStatus;
  perSecond: number;
  paused: boolean;
  onPause: (paused: boolean) => void;
}) {
  return h(
    Panel,
    {
      id: 'feed',
      title: 'Live events',
      wide: true,
      actions: h(
        'div',
        { class: 'toolbar' },
        h('span', { class: `feed-status feed-${props.status.state}`, 'data-field': 'feed-status' }, statusText(props.status)),
        h('span', { class: 'muted' }, `${rate(props.perSecond)} events/s`),
        h('button', { type: 'button', 'aria-pressed': props.paused, onClick: () => props.onPause(!props.paused) }, props.paused ? 'Resume feed' : 'Pause feed'),
      ),
    },
    props.events.length === 0
      ? h('p', { class: 'empty' }, props.paused ? 'Paused.' : 'No events yet.')
      : h(
          'ol',
          { class: 'feed', 'aria-label': `The ${count(props.events.length)} newest events, newest first` },
          props.events.map((e, i) =>
            h(
              'li',
              { key: `${e.atMs}-${e.jobId}-${e.name}-${i}`, 'data-event': e.name },
              h('time', { dateTime: new Date(e.atMs).toISOString() }, clockTime(e.atMs)),
              h('span', { class: `event event-${e.name.slice(4)}` }, e.name),
              h(JobLink, { ctx: props.ctx, id: e.jobId }),
              h('span', { class: 'mono' }, e.type),
              h('span', { class: 'muted' }, `attempt ${e.attempt}`),
              h('span', { class: 'wrap' }, detailOf(e)),
            ),
          ),
        ),
  );
}
