import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { chaosSettings } from '../../test/chaos/ledger.ts';

export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: './test/wrangler.toml' } })],
  // `@baton/core` from source, through the root tsconfig's `paths`.
  resolve: { tsconfigPaths: true },
  test: {
    name: 'workerd',
    // The chaos suite's workerd run lives with the other runtimes' in test/chaos.
    include: ['test/**/*.test.ts', '../../test/chaos/edge.chaos.test.ts'],
    provide: { chaos: chaosSettings(process.env) },
  },
});
