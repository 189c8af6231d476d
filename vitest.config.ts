import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['packages/core/src/**/*.test.ts', 'test/**/*.test.ts'],
          environment: 'node',
        },
      },
      // Durable Objects, SQLite and the HTTP API, inside workerd.
      'packages/edge/vitest.config.ts',
    ],
  },
});
