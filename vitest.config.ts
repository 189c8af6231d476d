import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { commands } from './test/browser/commands.ts';
import { findChromium } from './test/find-chromium.ts';

const chromium = findChromium();

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['packages/core/src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/browser/**'],
          environment: 'node',
        },
      },
      // Durable Objects, SQLite and the HTTP API, inside workerd.
      'packages/edge/vitest.config.ts',
      // IndexedDB and the browser runtime, in real headless Chromium.
      {
        test: {
          name: 'chromium',
          include: ['test/browser/**/*.test.ts'],
          // wrangler dev and the chaos proxy, for the outbox suite.
          globalSetup: ['test/browser/global-setup.ts'],
          browser: {
            enabled: true,
            headless: true,
            instances: [{ browser: 'chromium' }],
            // Tabs, the network switch and the quota: what only Playwright reaches.
            commands,
            provider: playwright({
              launchOptions: {
                ...(chromium === undefined ? {} : { executablePath: chromium }),
                args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
              },
            }),
          },
        },
      },
    ],
  },
});
