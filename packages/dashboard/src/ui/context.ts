import type { ComponentChildren } from 'preact';
import { h } from 'preact';
import type { DashboardSource } from './source.ts';

/** What every panel gets from the dashboard: where data comes from and what it may ask the dashboard to do. */
export interface Ctx {
  readonly source: DashboardSource;
  readonly queue: string;
  /**
   * Changes when the queue's jobs have changed (a new metrics snapshot with
   * other counts, an action taken here): lists fetch their page again.
   */
  readonly changed: string;
  /** Shows a job's detail. */
  openJob(id: string): void;
  /** Retries or cancels a job, then says how it went (in the status line and to screen readers). */
  act(action: 'retry' | 'cancel', id: string): Promise<void>;
}

/** A titled panel of the dashboard: a `section` named by its heading. */
export function Panel(props: { id: string; title: string; wide?: boolean; children?: ComponentChildren; actions?: ComponentChildren }) {
  const heading = `${props.id}-title`;
  return h(
    'section',
    { class: `panel${props.wide === true ? ' wide' : ''}`, id: props.id, 'aria-labelledby': heading },
    h('div', { class: 'panel-head' }, h('h2', { id: heading }, props.title), props.actions ?? null),
    props.children,
  );
}

/** A table that scrolls sideways on its own at phone width, and can be scrolled with the keyboard. */
export function TableWrap(props: { label: string; children?: ComponentChildren }) {
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': props.label, tabIndex: 0 }, props.children);
}
