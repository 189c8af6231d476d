import type { BrowserContext, Page } from 'playwright';
import type { BrowserCommand } from 'vitest/node';

/**
 * Server-side commands for the browser suites: what only Playwright can do
 * from outside the page. Tabs are real pages of the test's own origin in the
 * same browser context, so they share IndexedDB, Web Locks and
 * BroadcastChannel with the test page.
 */
interface TabOptions {
  readonly isolated?: boolean;
  readonly quotaBytes?: number;
  /** The tab's worker delivers `edge` jobs to this API (the outbox fixture). */
  readonly edge?: { readonly url: string; readonly token: string; readonly dedupWindowMs?: number };
}

type Ctx = Parameters<BrowserCommand<[]>>[0] & { page: Page; context: BrowserContext };

const tabs = new Map<string, Page>();
let nextTab = 1;

function tab(id: string): Page {
  const page = tabs.get(id);
  if (page === undefined) throw new Error(`No open tab ${id}`);
  return page;
}

async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => (globalThis as { batonReady?: boolean }).batonReady === true);
}

/**
 * Opens `fixtures/tab.html` of the test's origin in a new page; the tab
 * connects to a worker on `database`. An `isolated` tab gets a browser
 * context of its own, so its network can be cut without cutting the test
 * runner's (and it shares no storage with the other tabs). `quotaBytes`
 * (isolated tabs only) overrides the origin's storage quota through CDP
 * before the page loads: Chromium reads the quota when it first opens the
 * origin's IndexedDB, so it must be in place first.
 */
const openTab: BrowserCommand<[origin: string, database: string, options?: TabOptions]> = async (ctx, origin, database, options = {}) => {
  const { context } = ctx as Ctx;
  const isolated = options.isolated === true || options.quotaBytes !== undefined;
  const page = isolated ? await (await context.browser()!.newContext()).newPage() : await context.newPage();
  if (options.quotaBytes !== undefined) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: options.quotaBytes });
  }
  page.on('pageerror', (error) => console.error(`[tab] ${error.message}`));
  const edge = options.edge === undefined ? '' : `&edge=${encodeURIComponent(JSON.stringify(options.edge))}`;
  await page.goto(`${origin}/test/browser/fixtures/tab.html?db=${encodeURIComponent(database)}${edge}`);
  await ready(page);
  const id = `tab-${nextTab++}`;
  tabs.set(id, page);
  return id;
};

/** Runs `source` (a function expression) in the tab with `arg`; returns its (serialisable) result. */
const inTab: BrowserCommand<[id: string, source: string, arg?: unknown]> = async (_ctx, id, source, arg) =>
  tab(id).evaluate(({ source, arg }) => new Function(`return (${source});`)()(arg), { source, arg });

const reloadTab: BrowserCommand<[id: string]> = async (_ctx, id) => {
  await tab(id).reload();
  await ready(tab(id));
};

/** Closes the tab as a user would: its worker dies with it, and its Web Lock is released. */
const closeTab: BrowserCommand<[id: string]> = async (ctx, id) => {
  const page = tab(id);
  await page.close();
  if (page.context() !== (ctx as Ctx).context) await page.context().close();
  tabs.delete(id);
};

/** Cuts or restores the network of an isolated tab: its page and its workers (Playwright's emulation). */
const setOffline: BrowserCommand<[id: string, offline: boolean]> = async (ctx, id, offline) => {
  const context = tab(id).context();
  if (context === (ctx as Ctx).context) throw new Error(`Tab ${id} shares the test runner's context: open it isolated to cut its network`);
  await context.setOffline(offline);
};

export const commands = { openTab, inTab, reloadTab, closeTab, setOffline };

declare module 'vitest/browser' {
  interface BrowserCommands {
    openTab(origin: string, database: string, options?: TabOptions): Promise<string>;
    inTab<T = unknown>(id: string, source: string, arg?: unknown): Promise<T>;
    reloadTab(id: string): Promise<void>;
    closeTab(id: string): Promise<void>;
    setOffline(tab: string, offline: boolean): Promise<void>;
  }
}
