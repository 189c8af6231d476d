/** Job lists, a page at a time from the server (a cursor per page): the dead-letter set and the job explorer. */
import { isTerminal, type JobRecord, type JobState, type ListPage } from '@baton/core';
import { type ComponentChildren, h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Ctx, Panel, TableWrap } from './context.ts';
import { count, message, time } from './format.ts';
import { ALL_STATES, PRIORITY_NAMES } from './history.ts';
import { JobLink } from './panels.ts';

export interface JobQuery {
  readonly state?: JobState;
  readonly type?: string;
  readonly order: 'asc' | 'desc';
  readonly limit: number;
}

/** Retry for a failed job, cancel (after a confirmation) for one that has not finished. */
export function JobActions(props: { ctx: Ctx; job: Pick<JobRecord, 'id' | 'state'> }) {
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const { ctx, job } = props;
  const run = async (action: 'retry' | 'cancel') => {
    setBusy(true);
    setConfirming(false);
    try {
      await ctx.act(action, job.id);
    } finally {
      setBusy(false);
    }
  };
  if (job.state === 'failed') {
    return h('button', { type: 'button', class: 'action', disabled: busy, onClick: () => void run('retry'), 'aria-label': `Retry job ${job.id}` }, 'Retry');
  }
  if (isTerminal(job.state)) return null;
  if (confirming) {
    return h(
      'span',
      { class: 'confirm' },
      h(
        'button',
        { type: 'button', class: 'action danger', disabled: busy, onClick: () => void run('cancel'), 'aria-label': `Confirm: cancel job ${job.id}` },
        'Confirm cancel',
      ),
      h('button', { type: 'button', class: 'action', onClick: () => setConfirming(false), 'aria-label': `Keep job ${job.id}` }, 'Keep'),
    );
  }
  return h('button', { type: 'button', class: 'action', disabled: busy, onClick: () => setConfirming(true), 'aria-label': `Cancel job ${job.id}` }, 'Cancel');
}

const DEAD_COLUMNS = ['job', 'type', 'attempts', 'failed at', 'error', 'actions'];
const ALL_COLUMNS = ['job', 'type', 'state', 'priority', 'attempt', 'updated', 'actions'];

/** A row's cells, labelled by their column (the label shows beside the value at phone width). */
function cellsOf(variant: 'dead' | 'all', job: JobRecord, ctx: Ctx): Array<[string, ComponentChildren, string?]> {
  if (variant === 'dead') {
    return [
      ['job', h(JobLink, { ctx, id: job.id })],
      ['type', job.type, 'mono'],
      ['attempts', count(job.attempt)],
      ['failed at', time(job.finishedAtMs)],
      ['error', job.error === null ? '–' : `${job.error.code ?? job.error.kind}: ${job.error.message}`, 'wrap'],
      ['actions', h(JobActions, { ctx, job })],
    ];
  }
  return [
    ['job', h(JobLink, { ctx, id: job.id })],
    ['type', job.type, 'mono'],
    ['state', h('span', { class: `state state-${job.state}` }, job.state)],
    ['priority', PRIORITY_NAMES[job.priority] ?? String(job.priority)],
    ['attempt', count(job.attempt)],
    ['updated', time(job.updatedAtMs)],
    ['actions', h(JobActions, { ctx, job })],
  ];
}

/**
 * One page of jobs and the buttons to page through them. Only that page is
 * ever in the page: the server keeps the rest behind a cursor. The cursors
 * of the pages seen are kept to go back.
 */
export function JobTable(props: { ctx: Ctx; id: string; caption: string; query: JobQuery; variant: 'dead' | 'all' }) {
  const { ctx, query } = props;
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [page, setPage] = useState<ListPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const request = useRef(0);
  const cursor = cursors.at(-1);

  useEffect(() => {
    const mine = ++request.current;
    const q = { order: query.order, limit: query.limit, ...(query.state === undefined ? {} : { state: query.state }) };
    ctx.source.list(ctx.queue, { ...q, ...(query.type === undefined ? {} : { type: query.type }), ...(cursor === undefined ? {} : { cursor }) }).then(
      (p) => {
        if (mine !== request.current) return;
        setPage(p);
        setError(null);
      },
      (e: unknown) => {
        if (mine === request.current) setError(message(e));
      },
    );
  }, [ctx.queue, ctx.source, cursor, ctx.changed]);

  const jobs = page?.jobs ?? [];
  const columns = props.variant === 'dead' ? DEAD_COLUMNS : ALL_COLUMNS;
  const pageNumber = cursors.length;
  return h(
    'div',
    { class: 'job-table', id: props.id },
    error === null ? null : h('p', { class: 'error', role: 'alert' }, `Could not load the jobs: ${error}`),
    h(
      TableWrap,
      { label: props.caption },
      h(
        'table',
        // Explicit roles: at phone width the rows are laid out as cards (CSS display), which drops a table's semantics in some browsers.
        { class: 'jobs', role: 'table' },
        h('caption', null, `${props.caption}, page ${pageNumber}`),
        h(
          'thead',
          { role: 'rowgroup' },
          h(
            'tr',
            { role: 'row' },
            columns.map((c) => h('th', { scope: 'col', key: c, role: 'columnheader' }, c)),
          ),
        ),
        h(
          'tbody',
          { role: 'rowgroup' },
          page === null || jobs.length === 0
            ? h(
                'tr',
                { role: 'row' },
                h(
                  'td',
                  { colSpan: columns.length, class: 'empty', role: 'cell' },
                  page === null ? 'Loading…' : pageNumber === 1 ? 'No jobs.' : 'No more jobs.',
                ),
              )
            : jobs.map((job) =>
                h(
                  'tr',
                  { key: job.id, 'data-job': job.id, role: 'row' },
                  cellsOf(props.variant, job, ctx).map(([label, content, cls]) =>
                    h('td', { key: label, 'data-label': label, role: 'cell', class: cls }, content),
                  ),
                ),
              ),
        ),
      ),
    ),
    h(
      'nav',
      { class: 'pager', 'aria-label': `Pages of ${props.caption.toLowerCase()}` },
      h('button', { type: 'button', disabled: pageNumber === 1, onClick: () => setCursors([undefined]) }, 'First page'),
      h('button', { type: 'button', disabled: pageNumber === 1, onClick: () => setCursors(cursors.slice(0, -1)) }, 'Previous page'),
      h(
        'button',
        { type: 'button', disabled: page?.cursor === null || page?.cursor === undefined, onClick: () => page?.cursor && setCursors([...cursors, page.cursor]) },
        'Next page',
      ),
      h('span', { class: 'pager-note', 'aria-live': 'polite' }, `Page ${pageNumber}, ${count(jobs.length)} job${jobs.length === 1 ? '' : 's'}`),
    ),
  );
}

/** The dead-letter set: failed jobs, newest first, with a retry button each. */
export function DeadLetters(props: { ctx: Ctx; total: number }) {
  return h(
    Panel,
    { id: 'dead-letters', title: `Dead letters (${count(props.total)})`, wide: true },
    h(JobTable, {
      key: props.ctx.queue,
      ctx: props.ctx,
      id: 'dead-letter-table',
      caption: 'Failed jobs, newest first',
      query: { state: 'failed', order: 'desc', limit: 10 },
      variant: 'dead',
    }),
  );
}

const PAGE_SIZES = [10, 25, 50, 100];

/** Any job of the queue, filtered by state and type, in either order, a page at a time. */
export function JobsExplorer(props: { ctx: Ctx; types: readonly string[] }) {
  const [state, setState] = useState<JobState | ''>('');
  const [type, setType] = useState('');
  // What is typed, applied as the filter on change (Enter or leaving the field): the draft survives the re-renders every poll brings.
  const [draft, setDraft] = useState('');
  const [order, setOrder] = useState<'asc' | 'desc'>('desc');
  const [limit, setLimit] = useState(25);
  const query: JobQuery = { order, limit, ...(state === '' ? {} : { state }), ...(type.trim() === '' ? {} : { type: type.trim() }) };
  const value = (e: Event) => (e.currentTarget as HTMLInputElement | HTMLSelectElement).value;
  return h(
    Panel,
    { id: 'jobs', title: 'Jobs', wide: true },
    h(
      'form',
      { class: 'filters', 'aria-label': 'Job filters', onSubmit: (e: Event) => e.preventDefault() },
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'filter-state' }, 'State'),
        h(
          'select',
          { id: 'filter-state', value: state, onChange: (e: Event) => setState(value(e) as JobState | '') },
          h('option', { value: '' }, 'any state'),
          ALL_STATES.map((s) => h('option', { key: s, value: s }, s)),
        ),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'filter-type' }, 'Type'),
        h('input', {
          id: 'filter-type',
          type: 'search',
          list: 'known-types',
          value: draft,
          placeholder: 'any type',
          autocomplete: 'off',
          spellcheck: false,
          onInput: (e: Event) => setDraft(value(e)),
          onChange: (e: Event) => setType(value(e)),
        }),
        h(
          'datalist',
          { id: 'known-types' },
          props.types.map((t) => h('option', { key: t, value: t })),
        ),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'filter-order' }, 'Order'),
        h(
          'select',
          { id: 'filter-order', value: order, onChange: (e: Event) => setOrder(value(e) as 'asc' | 'desc') },
          h('option', { value: 'desc' }, 'newest first'),
          h('option', { value: 'asc' }, 'oldest first'),
        ),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'filter-limit' }, 'Per page'),
        h(
          'select',
          { id: 'filter-limit', value: String(limit), onChange: (e: Event) => setLimit(Number(value(e))) },
          PAGE_SIZES.map((n) => h('option', { key: n, value: String(n) }, String(n))),
        ),
      ),
    ),
    h(JobTable, {
      key: `${props.ctx.queue}|${JSON.stringify(query)}`,
      ctx: props.ctx,
      id: 'job-table',
      caption: 'Jobs matching the filters',
      query,
      variant: 'all',
    }),
  );
}
