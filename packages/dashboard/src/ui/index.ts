/**
 * The dashboard as a component for a page: `mountDashboard` shows it in an
 * element, over the edge's HTTP API (`edgeSource`) or the page's own
 * scheduler (`localSource`), or any `DashboardSource`.
 *
 * @module @baton/dashboard/ui
 */
import { type DashboardOptions, renderDashboard } from './dashboard.ts';
import type { DashboardSource } from './source.ts';
import { injectStyles } from './styles.ts';

export { Dashboard, type DashboardOptions } from './dashboard.ts';
export { edgeSource, queuesOfOpenApi, type EdgeSourceOptions } from './edge-source.ts';
export { localSource, type LocalScheduler, type LocalSourceOptions } from './local-source.ts';
export type { DashboardSource, FeedEvent, FeedStatus } from './source.ts';
export { readEventStream, SseParser, type SseMessage, type StreamOptions } from './sse.ts';
export { MetricsHistory } from './history.ts';
export { DASHBOARD_CSS } from './styles.ts';

/**
 * Shows the dashboard in `element`, over `source`, and adds its style sheet
 * to the document (once; every rule is scoped under `.bd`). Returns the
 * function that takes it down (and stops its polling and event stream).
 * Element ids inside are fixed: one dashboard per page.
 *
 * @example
 * import { connect } from '@baton/browser';
 * import { localSource, mountDashboard } from '@baton/dashboard/ui';
 * const baton = connect(new Worker(new URL('./jobs.worker.ts', import.meta.url), { type: 'module' }));
 * const unmount = mountDashboard(document.getElementById('jobs')!, localSource(baton));
 */
export function mountDashboard(element: HTMLElement, source: DashboardSource, options: DashboardOptions = {}): () => void {
  injectStyles(element.ownerDocument);
  return renderDashboard(element, source, options);
}
