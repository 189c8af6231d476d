/** One job in full: its record, its audit trail, its dependencies and its durable steps. */
import type { Cause, JobRecord, JobState, StepRecord } from '@baton/core';
import { type ComponentChildren, h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Ctx, TableWrap } from './context.ts';
import { count, duration, json, message, time, traceId } from './format.ts';
import { PRIORITY_NAMES } from './history.ts';
import { JobActions } from './jobs.ts';
import { JobLink } from './panels.ts';

/** Dependencies whose state is fetched with the job (a job may have 100; the rest are listed by id). */
const DEPENDENCY_STATES = 20;

function fact(label: string, value: ComponentChildren, key = label) {
  return [h('dt', { key: `${key}-t` }, label), h('dd', { key: `${key}-d`, 'data-field': key }, value)];
}

/** Who caused a transition (a caller the API knew) or ran its attempt, if the record says. */
function byWhom(cause: Cause): string {
  const parts: string[] = [];
  const actor = cause.actor;
  if (actor !== undefined) {
    const who = [
      actor.name,
      actor.tenant === undefined ? undefined : `tenant ${actor.tenant}`,
      actor.tokenId === undefined ? undefined : `token ${actor.tokenId}`,
    ];
    parts.push(who.filter((w) => w !== undefined).join(', '));
  }
  if (cause.runner !== undefined) parts.push(`run by ${cause.runner}`);
  return parts.join('; ');
}

/**
 * A job's detail. `events` counts the feed's events for this job: each one
 * reloads it, as does any change of the queue's counts.
 */
export function JobDetail(props: { ctx: Ctx; id: string; events: number; onClose: () => void }) {
  const { ctx, id } = props;
  const [job, setJob] = useState<JobRecord | null | undefined>(undefined);
  const [steps, setSteps] = useState<readonly StepRecord[]>([]);
  const [deps, setDeps] = useState<ReadonlyMap<string, JobState | 'unknown'>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);
  const request = useRef(0);

  useEffect(() => {
    setJob(undefined);
    setSteps([]);
    setDeps(new Map());
    heading.current?.focus();
  }, [id, ctx.queue]);

  useEffect(() => {
    const mine = ++request.current;
    Promise.all([ctx.source.get(ctx.queue, id), ctx.source.steps(ctx.queue, id).catch(() => [] as readonly StepRecord[])]).then(
      ([record, recorded]) => {
        if (mine !== request.current) return;
        setJob(record ?? null);
        setSteps(recorded);
        setError(null);
      },
      (e: unknown) => {
        if (mine === request.current) setError(message(e));
      },
    );
  }, [id, ctx.queue, ctx.source, ctx.changed, props.events, reloads]);

  const dependsOn = job?.dependsOn ?? [];
  useEffect(() => {
    const wanted = [...dependsOn.slice(0, DEPENDENCY_STATES), ...(job?.after == null ? [] : [job.after])];
    if (wanted.length === 0) return;
    let live = true;
    void Promise.all(
      wanted.map((d) =>
        ctx.source.get(ctx.queue, d).then(
          (r) => [d, r?.state ?? 'unknown'] as const,
          () => [d, 'unknown'] as const,
        ),
      ),
    ).then((pairs) => {
      if (live) setDeps(new Map(pairs));
    });
    return () => {
      live = false;
    };
  }, [dependsOn.join(','), job?.after, reloads, props.events]);

  const title = h('h2', { id: 'job-detail-title', tabIndex: -1, ref: heading }, 'Job ', h('span', { class: 'mono' }, id));
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    job ? h(JobActions, { ctx, job }) : null,
    h('button', { type: 'button', onClick: () => setReloads((n) => n + 1) }, 'Reload'),
    h('button', { type: 'button', onClick: props.onClose, 'aria-label': 'Close the job detail' }, 'Close'),
  );
  const head = h('div', { class: 'panel-head' }, title, toolbar);
  if (job === undefined || job === null) {
    return h(
      'section',
      { class: 'panel wide detail', id: 'job-detail', 'aria-labelledby': 'job-detail-title' },
      head,
      error !== null
        ? h('p', { class: 'error', role: 'alert' }, `Could not load the job: ${error}`)
        : h('p', { class: 'empty' }, job === null ? `No job ${id} in queue ${ctx.queue}.` : 'Loading…'),
    );
  }
  const trace = traceId(job.trace);
  const stateOf = (d: string) => deps.get(d);
  return h(
    'section',
    { class: 'panel wide detail', id: 'job-detail', 'aria-labelledby': 'job-detail-title' },
    head,
    error === null ? null : h('p', { class: 'error', role: 'alert' }, `Could not reload the job: ${error}`),
    h(
      'dl',
      { class: 'facts detail-facts' },
      fact('State', h('span', { class: `state state-${job.state}` }, job.state), 'state'),
      fact('Type', h('span', { class: 'mono' }, job.type), 'type'),
      fact('Queue', job.queue, 'queue'),
      fact('Priority', `${PRIORITY_NAMES[job.priority] ?? ''} (${job.priority})`, 'priority'),
      fact('Attempts', `${count(job.attempt)} of ${count(job.retry.maxAttempts)}`, 'attempt'),
      fact('Trace id', trace === null ? 'none' : h('span', { class: 'mono' }, trace), 'trace'),
      fact('Ordering key', job.key ?? 'none', 'key'),
      fact('Idempotency key', job.idempotencyKey ?? 'none', 'idempotencyKey'),
      fact('Resource', job.resource ?? 'none', 'resource'),
      fact('Tags', job.tags.length === 0 ? 'none' : job.tags.join(', '), 'tags'),
      fact('Created', time(job.createdAtMs), 'createdAtMs'),
      fact('Updated', time(job.updatedAtMs), 'updatedAtMs'),
      fact('Started', time(job.startedAtMs), 'startedAtMs'),
      fact('Finished', time(job.finishedAtMs), 'finishedAtMs'),
      fact('Due', time(job.dueAtMs), 'dueAtMs'),
      fact('Deadline', time(job.deadlineAtMs), 'deadlineAtMs'),
      fact('Timeout per attempt', duration(job.timeoutMs), 'timeoutMs'),
      fact('Version', count(job.version), 'version'),
      fact('Payload fingerprint', job.fingerprint === undefined ? '–' : h('span', { class: 'mono' }, job.fingerprint), 'fingerprint'),
    ),
    job.error === null
      ? null
      : h(
          'div',
          { class: 'failure', role: 'group', 'aria-label': 'Last failure' },
          h('h3', null, 'Last failure'),
          h(
            'p',
            { 'data-field': 'error' },
            h('strong', null, job.error.code ?? job.error.kind),
            ` (${job.error.kind}, ${job.error.retryable ? 'retryable' : 'not retryable'}): `,
            job.error.message,
          ),
        ),
    h('h3', null, `Dependencies (${count(dependsOn.length)})`),
    dependsOn.length === 0 && job.after === null
      ? h('p', { class: 'empty' }, 'None.')
      : h(
          'ul',
          { class: 'deps', 'data-field': 'dependsOn' },
          dependsOn.map((d) =>
            h('li', { key: d }, h(JobLink, { ctx, id: d }), stateOf(d) === undefined ? null : h('span', { class: `state state-${stateOf(d)}` }, stateOf(d))),
          ),
          job.after === null
            ? null
            : h(
                'li',
                { key: 'after' },
                h(JobLink, { ctx, id: job.after, label: `Open job ${job.after}, the one before it with the same key` }),
                ' (before it with the same key) ',
                stateOf(job.after) === undefined ? null : h('span', { class: `state state-${stateOf(job.after)}` }, stateOf(job.after)),
              ),
        ),
    h('h3', null, `History (${count(job.history.length)} transitions)`),
    h(
      TableWrap,
      { label: 'History' },
      h(
        'table',
        { class: 'history', 'data-field': 'history' },
        h('caption', null, 'Every transition: from, to, when, on which attempt, and why'),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['#', 'from → to', 'time', 'attempt', 'cause', 'message', 'by'].map((c) => h('th', { scope: 'col', key: c }, c)),
          ),
        ),
        h(
          'tbody',
          null,
          job.history.map((t, i) =>
            h(
              'tr',
              { key: i },
              h('td', null, String(i + 1)),
              h('td', null, `${t.from ?? '(new)'} → ${t.to}`),
              h('td', null, time(t.atMs)),
              h('td', null, count(t.attempt)),
              h('td', { class: 'mono' }, t.cause.code),
              h('td', { class: 'wrap' }, t.cause.message ?? ''),
              h('td', { class: 'wrap' }, byWhom(t.cause)),
            ),
          ),
        ),
      ),
    ),
    h('h3', null, `Steps (${count(steps.length)})`),
    steps.length === 0
      ? h('p', { class: 'empty' }, 'No durable steps recorded.')
      : h(
          TableWrap,
          { label: 'Steps' },
          h(
            'table',
            { class: 'steps', 'data-field': 'steps' },
            h('caption', null, 'Durable steps, oldest first'),
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['name', 'attempt', 'time', 'result'].map((c) => h('th', { scope: 'col', key: c }, c)),
              ),
            ),
            h(
              'tbody',
              null,
              steps.map((s) =>
                h(
                  'tr',
                  { key: s.name },
                  h('td', { class: 'mono' }, s.name),
                  h('td', null, count(s.attempt)),
                  h('td', null, time(s.atMs)),
                  h('td', null, h('pre', null, json(s.result, 2000))),
                ),
              ),
            ),
          ),
        ),
    h('details', null, h('summary', null, 'Payload'), h('pre', { 'data-field': 'payload' }, json(job.payload))),
    h('details', null, h('summary', null, 'Result'), h('pre', { 'data-field': 'result' }, json(job.result))),
    job.progress === null ? null : h('details', null, h('summary', null, 'Progress'), h('pre', { 'data-field': 'progress' }, json(job.progress))),
  );
}
