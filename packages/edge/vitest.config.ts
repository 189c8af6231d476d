import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: './test/wrangler.toml' } })],
  test: {
    name: 'workerd',
    include: ['test/**/*.test.ts'],
  },
});
