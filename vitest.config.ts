import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { commands } from './test/browser/commands.ts';
import { CHROMIUM_ARGS, findChromium } from './test/find-chromium.ts';
import { chaosSettings } from './test/chaos/ledger.ts';

// Tests run the packages from source: `@baton/*` resolves through the root
// tsconfig's `paths`. The consumer suite checks the built tarballs.
export default defineConfig(async () => {
  const chromium = await findChromium();
  return {
    test: {
      projects: [
        {
          resolve: { tsconfigPaths: true },
          test: {
            name: 'node',
            include: ['packages/core/src/**/*.test.ts', 'test/**/*.test.ts'],
            exclude: ['test/browser/**', 'test/consumers/**', 'test/e2e/**', 'test/chaos/**/*.chaos.test.ts'],
            environment: 'node',
          },
        },
        // The packed tarballs installed into fresh projects: Node, TypeScript, Vite, Wrangler.
        {
          test: {
            name: 'consumers',
            include: ['test/consumers/**/*.test.ts'],
            globalSetup: ['test/consumers/global-setup.ts'],
            environment: 'node',
            testTimeout: 120_000,
            hookTimeout: 180_000,
          },
        },
        // The demo and the dashboard as a visitor sees them: wrangler dev and Chromium, driven by Playwright.
        {
          test: {
            name: 'e2e',
            include: ['test/e2e/**/*.test.ts'],
            environment: 'node',
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
        // Durable Objects, SQLite and the HTTP API, inside workerd.
        'packages/edge/vitest.config.ts',
        // IndexedDB and the browser runtime, in real headless Chromium.
        {
          resolve: { tsconfigPaths: true },
          test: {
            name: 'chromium',
            // test/chaos: the browser and network runs (the workerd run is in the edge config).
            include: ['test/browser/**/*.test.ts', 'test/chaos/{browser,network}.chaos.test.ts'],
            // BATON_CHAOS_ROUNDS and BATON_CHAOS_SEED, for test/chaos.
            provide: { chaos: chaosSettings(process.env) },
            // wrangler dev and the chaos proxy, for the outbox suite.
            globalSetup: ['test/browser/global-setup.ts'],
            browser: {
              enabled: true,
              headless: true,
              instances: [{ browser: 'chromium' as const }],
              // Tabs, the network switch and the quota: what only Playwright reaches.
              commands,
              provider: playwright({ launchOptions: { executablePath: chromium, args: CHROMIUM_ARGS } }),
            },
          },
        },
      ],
    },
  };
});
