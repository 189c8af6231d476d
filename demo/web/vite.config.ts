import { defineConfig } from 'vite';

// The demo page, built into demo/dist for wrangler's static assets (`npm start` builds it).
export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  build: { outDir: new URL('../dist', import.meta.url).pathname, emptyOutDir: true, target: 'es2022' },
  worker: { format: 'es' },
});
