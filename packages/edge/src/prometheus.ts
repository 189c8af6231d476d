import type { MetricsSnapshot } from '@baton/core';

/**
 * A metrics snapshot in Prometheus' text exposition format (0.0.4): names
 * prefixed `baton_`, base units (seconds), `_total` for counters, and the
 * labels `tenant` (the caller's own: a token sees only its tenant) and
 * `queue` on every sample. The edge's `/metrics` answers with it on
 * `Accept: text/plain`.
 */
export function prometheusText(m: MetricsSnapshot, labels: { readonly tenant: string; readonly queue: string }): string {
  const lines: string[] = [];
  const base = `tenant="${escapeLabel(labels.tenant)}",queue="${escapeLabel(labels.queue)}"`;
  const family = (name: string, type: 'gauge' | 'counter' | 'summary', help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const sample = (name: string, value: number | null, extra: Record<string, string | number> = {}) => {
    if (value === null || !Number.isFinite(value)) return;
    const more = Object.entries(extra).map(([k, v]) => `,${k}="${escapeLabel(String(v))}"`);
    lines.push(`${name}{${base}${more.join('')}} ${value}`);
  };

  family('baton_jobs', 'gauge', 'Jobs stored, by state and priority.');
  for (const [state, { byPriority }] of Object.entries(m.depth)) {
    for (const [priority, n] of byPriority.entries()) sample('baton_jobs', n, { state, priority });
  }

  for (const [name, summary, help] of [
    ['baton_job_wait_seconds', m.waitLatency, 'From ready to running.'],
    ['baton_job_run_seconds', m.runLatency, "From running to the attempt's end."],
  ] as const) {
    family(name, 'summary', `${help} Quantiles since the scheduler started.`);
    for (const [quantile, ms] of [
      ['0.5', summary.p50Ms],
      ['0.9', summary.p90Ms],
      ['0.99', summary.p99Ms],
    ] as const) {
      sample(name, ms === null ? null : ms / 1000, { quantile });
    }
    sample(`${name}_count`, summary.count);
  }

  family('baton_jobs_finished_total', 'counter', 'Jobs finished, by type, outcome and attempts used.');
  for (const [type, t] of Object.entries(m.byType)) {
    t.attempts.forEach((n, i) => {
      if (n > 0) sample('baton_jobs_finished_total', n, { type, attempts: i + 1 });
    });
    sample('baton_jobs_finished_total', t.succeeded, { type, outcome: 'succeeded' });
    sample('baton_jobs_finished_total', t.failed, { type, outcome: 'failed' });
  }
  family('baton_job_attempt_success_ratio', 'gauge', 'The chance an attempt succeeds, given it ran, by type and attempt number.');
  for (const [type, t] of Object.entries(m.byType)) {
    for (const [i, ratio] of t.successByAttempt.entries()) sample('baton_job_attempt_success_ratio', ratio, { type, attempt: i + 1 });
  }

  for (const [name, value, help] of [
    ['baton_jobs_submitted_total', m.counts.submitted, 'Jobs stored by a submit.'],
    ['baton_jobs_retried_total', m.counts.retried, 'Failed attempts sent back to run after a backoff.'],
    ['baton_jobs_deferred_total', m.counts.deferred, 'Attempts held back by a breaker, budget, throttle or rate limit.'],
    ['baton_jobs_shed_total', m.counts.shed, 'Background jobs dropped past their deadline under congestion.'],
    ['baton_jobs_parked_total', m.counts.parked, 'Jobs parked while offline.'],
    ['baton_jobs_stalled_total', m.stalled, 'Leases that expired (a worker gone).'],
  ] as const) {
    family(name, 'counter', help);
    sample(name, value);
  }

  family('baton_jobs_silent', 'gauge', 'Running jobs whose handler has stopped heartbeating.');
  sample('baton_jobs_silent', m.silent.length);
  family('baton_congestion_level', 'gauge', 'Congestion, from 0 (calm) to 1.');
  sample('baton_congestion_level', m.congestion.level);

  family('baton_resource_breaker_open', 'gauge', "Whether a resource's breaker is open (1), half-open (0.5) or closed (0).");
  family('baton_resource_failure_ratio', 'gauge', "A resource's failures over calls in the last minute.");
  for (const [resource, r] of Object.entries(m.resources)) {
    if (r.breaker !== null) sample('baton_resource_breaker_open', r.breaker === 'open' ? 1 : r.breaker === 'half-open' ? 0.5 : 0, { resource });
    sample('baton_resource_failure_ratio', r.failureRate, { resource });
  }
  return `${lines.join('\n')}\n`;
}

/** A label value: backslash, double quote and newline escaped, as the format says. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
