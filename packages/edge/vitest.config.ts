import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: './test/wrangler.toml' } })],
  // `@baton/core` from source, through the root tsconfig's `paths`.
  resolve: { tsconfigPaths: true },
  test: {
    name: 'workerd',
    include: ['test/**/*.test.ts'],
  },
});
