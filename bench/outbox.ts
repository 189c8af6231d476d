/**
 * The outbox scenario: 1,000 jobs queued in the browser while the edge is
 * unreachable, then drained after reconnection, by Baton's outbox and by
 * Workbox's background-sync Queue, in one Chromium page against one
 * `wrangler dev` behind the chaos proxy (clean, then flapping network).
 */
import { startChaosProxy } from '../test/chaos-proxy.ts';
import { openBenchPage } from './lib/chromium.ts';
import { startWranglerDev } from '../test/wrangler-dev.ts';
import { median, table, printGoals } from './lib/stats.ts';
import type { DrainResult } from './outbox/main.ts';

export interface OutboxResults {
  readonly drains: DrainResult[];
  readonly summary: Array<{ system: string; network: string; drainMs: number; lost: number; duplicates: number; inOrder: boolean; restarts: number }>;
  readonly goals: Array<{ goal: string; value: string; met: boolean }>;
}

export async function runOutbox(runs: number, jobs = 1_000, keys = 20): Promise<OutboxResults> {
  const edge = await startWranglerDev();
  const proxy = await startChaosProxy(edge.url);
  const { page, close } = await openBenchPage(new URL('./outbox/', import.meta.url), ['outbox.worker.ts', 'sw.ts']);
  try {
    await page.waitForFunction(() => typeof window.runOutbox === 'function');
    const raw = await page.evaluate((o) => window.runOutbox(o), {
      edge: { url: proxy.url, token: edge.token },
      jobs,
      keys,
      runs,
      flaky: { mode: 'flaky' as const, cutRequest: 0.1, loseAnswer: 0.15, seed: 11 },
    });
    const summary = (['baton', 'workbox'] as const).flatMap((system) =>
      (['clean', 'flapping'] as const).map((network) => {
        const mine = raw.filter((r) => r.system === system && r.network === network);
        return {
          system,
          network,
          drainMs: median(mine.map((r) => r.drainMs)),
          lost: mine.reduce((n, r) => n + r.lost, 0),
          duplicates: mine.reduce((n, r) => n + r.duplicates, 0),
          inOrder: mine.every((r) => r.inOrderPerKey),
          restarts: median(mine.map((r) => r.restarts)),
        };
      }),
    );
    const find = (system: string, network: string) => summary.find((s) => s.system === system && s.network === network)!;
    const goals = (['clean', 'flapping'] as const).flatMap((network) => {
      const ratio = find('workbox', network).drainMs / find('baton', network).drainMs;
      return [
        { goal: `drain ≥ 10× faster than Workbox (${network})`, value: `${ratio.toFixed(2)}×`, met: ratio >= 10 },
        {
          goal: `Baton: zero loss, zero duplicates (${network})`,
          value: `${find('baton', network).lost} lost, ${find('baton', network).duplicates} dup.`,
          met: find('baton', network).lost === 0 && find('baton', network).duplicates === 0,
        },
      ];
    });
    return { drains: raw, summary, goals };
  } finally {
    await close();
    await proxy.close();
    edge.stop();
  }
}

export function printOutbox(r: OutboxResults): void {
  console.log(
    table(
      ['system', 'network', 'drain (median)', 'lost', 'duplicates', 'in order per key', 'replay restarts'],
      r.summary.map((s) => [
        s.system,
        s.network,
        `${Math.round(s.drainMs).toLocaleString('en')} ms`,
        String(s.lost),
        String(s.duplicates),
        s.inOrder ? 'yes' : 'NO',
        String(s.restarts),
      ]),
    ),
  );
  printGoals(r.goals);
}
