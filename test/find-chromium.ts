import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The Chromium the browser suites run in: `BATON_CHROMIUM` if set, else the
 * first Chromium or Chrome on the PATH, else `undefined` (Playwright then
 * uses its own downloaded browser, if there is one).
 */
export function findChromium(): string | undefined {
  const explicit = process.env.BATON_CHROMIUM;
  if (explicit !== undefined && explicit !== '') return explicit;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not here
      }
    }
  }
  return undefined;
}
