import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createClient } from '@baton/edge/client';
import { chromium, type Page } from 'playwright';
import { CHROMIUM_ARGS, findChromium } from '../../../test/find-chromium.ts';
import { startWranglerDev } from '../../../test/wrangler-dev.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const TOKEN = 'dashboard-dev-token-0123456789';
const args = process.argv.slice(2);
const OUT = args.includes('--out') ? args[args.indexOf('--out') + 1]! : '/tmp/baton-dashboard';
const SERVE = args.includes('--serve');

/** Jobs of every kind the dashboard shows. */
async function seed(url: string): Promise<void> {
  const jobs = createClient({ baseUrl: url, token: TOKEN }).queue('default');
  const emails = createClient({ baseUrl: url, token: TOKEN }).queue('emails');
  await jobs.submitAll(
    Array.from({ length: 30 }, (_, i) => ({ type: 'render', payload: { ms: 100 + (i % 5) * 400 }, priority: (i % 5) as 0 | 1 | 2 | 3 | 4 })),
  );
  await jobs.submitAll(Array.from({ length: 16 }, (_, i) => ({ type: 'flaky', payload: { failures: i % 4 } })));
  await jobs.submitAll(Array.from({ length: 5 }, (_, i) => ({ type: 'validate', payload: { name: `photo-${i}.gif` } })));
  await jobs.submitAll(
    Array.from({ length: 6 }, (_, i) => ({
      type: 'charge',
      payload: { order: `o-${i}`, down: i < 4 },
      resource: 'payments',
      trace: { traceparent: `00-${'4bf92f3577b34da6a3ce929d0e0e47'}${String(i).padStart(2, '0')}-00f067aa0ba902b7-01` },
    })),
  );
  await jobs.submitAll([
    { ref: 'a', type: 'flaky', payload: { failures: 1 } },
    { ref: 'b', type: 'render', payload: { ms: 300 } },
    { type: 'sum', dependsOn: ['a', 'b'], key: 'totals', tags: ['report', 'nightly'] },
  ]);
  await jobs.submitAll(Array.from({ length: 8 }, (_, i) => ({ type: 'render', payload: { ms: 100 }, delayMs: 60_000 + i * 1000 })));
  await emails.submitAll(Array.from({ length: 12 }, (_, i) => ({ type: 'email', payload: { to: `user${i}@example.com` }, resource: 'mail' })));
}

const AXE = readFileSync(createRequire(join(ROOT, 'test/package.json')).resolve('axe-core/axe.min.js'), 'utf8');

async function axe(page: Page, label: string): Promise<void> {
  await page.evaluate(AXE); // not a script tag: the page's CSP forbids inline script
  const violations = await page.evaluate(async () => {
    type Violation = { id: string; impact: string; nodes: Array<{ target: string[] }> };
    const result = await (window as unknown as { axe: { run(ctx: Document): Promise<{ violations: Violation[] }> } }).axe.run(document);
    return result.violations.map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  console.log(`axe ${label}: ${violations.length === 0 ? 'no violations' : violations.join(', ')}`);
}

const edge = await startWranglerDev({ [TOKEN]: 'dev' }, { config: join(ROOT, 'packages/dashboard/dev/wrangler.toml') });
console.log(`dev worker on ${edge.url}; the dashboard at ${edge.url}/dashboard (token ${TOKEN})`);
try {
  await seed(edge.url);
  // A trickle of work, so the charts move.
  const trickle = setInterval(() => {
    void createClient({ baseUrl: edge.url, token: TOKEN })
      .queue('default')
      .submitAll(Array.from({ length: 4 }, (_, i) => ({ type: i === 0 ? 'flaky' : 'render', payload: i === 0 ? { failures: 1 } : { ms: 150 } })))
      .catch(() => {});
  }, 700);
  mkdirSync(OUT, { recursive: true });
  const browser = await chromium.launch({ executablePath: await findChromium(), args: CHROMIUM_ARGS });
  // The CSP is strict; the page must not trip it (a CSP violation is a console error).
  const problems: string[] = [];
  const open = async (width: number, height: number) => {
    const page = await browser.newPage({ viewport: { width, height } });
    const problem = (text: string) => {
      problems.push(text);
      console.log(text);
    };
    // The one refused request is the wrong token tried on purpose below.
    page.on('console', (m) => m.type() === 'error' && !m.text().includes('status of 401') && problem(`${width}px console: ${m.text()}`));
    page.on('pageerror', (e) => problem(`${width}px page: ${e.message}`));
    page.on('requestfailed', (r) => problem(`${width}px request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
    return page;
  };

  const wide = await open(1280, 800);
  await wide.goto(`${edge.url}/dashboard`);
  await wide.screenshot({ path: join(OUT, 'login-1280.png') });
  await axe(wide, 'login');
  await wide.getByLabel('API token').fill(TOKEN);
  await wide.getByRole('button', { name: 'Open the dashboard' }).click();
  await wide.waitForSelector('[data-metric="depth.failed.total"]');
  await wide.waitForTimeout(12_000); // samples for the charts
  await wide.screenshot({ path: join(OUT, 'dashboard-1280.png') });
  await wide.screenshot({ path: join(OUT, 'dashboard-1280-full.png'), fullPage: true });
  await axe(wide, 'dashboard 1280');
  await wide
    .getByRole('button', { name: /^Open job / })
    .first()
    .click();
  await wide.waitForSelector('#job-detail [data-field="history"]');
  await wide.screenshot({ path: join(OUT, 'detail-1280.png') });
  // The graph's dependent: its dependencies, each linked.
  await wide.getByLabel('Type', { exact: true }).fill('sum');
  await wide.getByLabel('Type', { exact: true }).press('Enter');
  await wide.waitForFunction(() => {
    const types = [...document.querySelectorAll('#job-table tbody tr[data-job] td[data-label="type"]')].map((td) => td.textContent);
    return types.length > 0 && types.every((t) => t === 'sum');
  });
  await wide.locator('#job-table tbody tr[data-job] button.link').first().click();
  await wide.waitForSelector('#job-detail [data-field="dependsOn"]');
  await wide.waitForTimeout(500);
  await wide.locator('#job-detail').screenshot({ path: join(OUT, 'detail-sum-1280.png') });
  await axe(wide, 'detail');

  // Keyboard: the focus ring on the third control of the header.
  await wide.evaluate(() => window.scrollTo(0, 0));
  await wide.locator('#queue-select').focus();
  await wide.keyboard.press('Tab');
  await wide.screenshot({ path: join(OUT, 'focus-1280.png'), clip: { x: 0, y: 0, width: 1280, height: 130 } });
  // Signing out, and a refused token.
  await wide.getByRole('button', { name: 'Sign out' }).click();
  await wide.getByLabel('API token').fill('not-the-right-token-at-all');
  await wide.getByRole('button', { name: 'Open the dashboard' }).click();
  await wide.getByText('The API refused this token.').waitFor();
  await wide.screenshot({ path: join(OUT, 'login-refused-1280.png') });

  const phone = await open(390, 844);
  await phone.goto(`${edge.url}/dashboard`);
  await phone.getByLabel('API token').fill(TOKEN);
  await phone.getByRole('button', { name: 'Open the dashboard' }).click();
  await phone.waitForSelector('[data-metric="depth.failed.total"]');
  await phone.waitForTimeout(5_000);
  await phone.screenshot({ path: join(OUT, 'dashboard-390.png') });
  await phone.screenshot({ path: join(OUT, 'dashboard-390-full.png'), fullPage: true });
  await axe(phone, 'dashboard 390');
  for (const panel of ['types', 'resources', 'dead-letters', 'jobs', 'feed'])
    await phone.locator(`#${panel}`).screenshot({ path: join(OUT, `panel-${panel}-390.png`) });
  clearInterval(trickle);
  await browser.close();
  console.log(`screenshots in ${OUT}`);
  console.log(problems.length === 0 ? 'no console errors' : `console errors:\n${problems.join('\n')}`);
  if (SERVE) {
    console.log('serving; Ctrl-C to stop');
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
} finally {
  edge.stop();
}
