import { chromium, type Page } from 'playwright';
import { createServer } from 'vite';
import { CHROMIUM_ARGS, findChromium } from '../../test/find-chromium.ts';

/**
 * Serves a bench folder with Vite and opens its `index.html` in headless
 * Chromium (the one `findChromium` finds).
 * `entries` are the modules Vite scans up front: a dependency it finds only
 * once a worker loads makes it reload the page mid-run.
 */
export async function openBenchPage(folder: URL, entries: string[]): Promise<{ page: Page; close(): Promise<void> }> {
  const server = await createServer({
    root: folder.pathname,
    server: { host: '127.0.0.1', port: 0 },
    optimizeDeps: { entries: ['index.html', ...entries] },
    logLevel: (process.env.BENCH_VITE_LOG as 'info' | undefined) ?? 'error',
  });
  await server.listen();
  const { port } = server.httpServer!.address() as { port: number };
  return openPage(`http://127.0.0.1:${port}/index.html`, () => server.close());
}

/** Opens `url` in headless Chromium (the one `findChromium` finds); `close` closes the browser, then calls `stop` (the server's). */
export async function openPage(url: string, stop: () => Promise<unknown>): Promise<{ page: Page; close(): Promise<void> }> {
  const browser = await chromium.launch({ executablePath: await findChromium(), args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`[page] ${e.message}`));
  await page.goto(url);
  return {
    page,
    close: async () => {
      await browser.close();
      await stop();
    },
  };
}
