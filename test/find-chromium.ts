import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium } from 'playwright';

/** Flags for headless Chromium on these machines: no sandbox as root, no GPU, no calls home (the network is closed). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Chromium the browser suites and benchmarks run in, found rather than
 * assumed: `BATON_CHROMIUM` if set; else a Chromium or Chrome on the PATH;
 * else the browser Playwright downloaded, if it did; else the one in the
 * `@sparticuz/chromium` devDependency, unpacked on first use (a build from
 * the npm registry, so a machine with nothing but Node and npm can run
 * `npm test`).
 */
export async function findChromium(): Promise<string> {
  const explicit = process.env.BATON_CHROMIUM;
  if (explicit !== undefined && explicit !== '') return explicit;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']) {
      if (executable(join(dir, name))) return join(dir, name);
    }
  }
  const playwrights = chromium.executablePath();
  if (executable(playwrights)) return playwrights;
  const { default: packaged } = await import('@sparticuz/chromium');
  return packaged.executablePath();
}
