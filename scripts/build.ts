/**
 * Builds the publishable packages to `dist/`: ESM JavaScript, `.d.ts` and
 * their maps, with `tsc`, in dependency order (core, then otel, then edge, whose client
 * the browser package imports, then browser, then the dashboard, whose page
 * Vite then bundles into `dist/assets.js`: `packages/dashboard/scripts/build-ui.ts`).
 *
 * Sources import each other with `.ts` extensions (so Node runs them as
 * they are); `rewriteRelativeImportExtensions` turns those into `.js` in the
 * JavaScript, but tsc leaves declarations as written. The same-length
 * rewrite below makes the `.d.ts` files name the `.js` modules they describe,
 * so no `.ts` specifier reaches a user's type checker, and the declaration
 * maps stay exact.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
export const PACKAGES = ['core', 'otel', 'edge', 'browser', 'dashboard'] as const;

const RELATIVE_TS = /(['"])(\.{1,2}\/[^'"\n]*?)\.ts\1/g;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

export function build(): void {
  const tsc = join(ROOT, 'node_modules/.bin/tsc');
  for (const name of PACKAGES) {
    const dir = join(ROOT, 'packages', name);
    rmSync(join(dir, 'dist'), { recursive: true, force: true });
    const run = spawnSync(tsc, ['-p', join(dir, 'tsconfig.build.json')], { stdio: 'inherit' });
    if (run.status !== 0) throw new Error(`tsc failed for packages/${name} (exit ${run.status})`);
    for (const file of files(join(dir, 'dist'))) {
      if (!file.endsWith('.d.ts')) continue;
      const text = readFileSync(file, 'utf8');
      const rewritten = text.replace(RELATIVE_TS, '$1$2.js$1');
      if (rewritten !== text) writeFileSync(file, rewritten);
    }
    if (name === 'dashboard') {
      // The page: Vite bundles the UI, and its files become strings in dist/assets.js (Workers serve them with no assets binding).
      const ui = spawnSync(process.execPath, [join(dir, 'scripts/build-ui.ts')], { stdio: 'inherit', cwd: dir });
      if (ui.status !== 0) throw new Error(`the dashboard page's build failed (exit ${ui.status})`);
    }
  }
}

/** The newest modification time of the files under `dir` (0 when it does not exist). */
export function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  return files(dir).reduce((latest, file) => Math.max(latest, statSync(file).mtimeMs), 0);
}

/**
 * The packages whose `dist/` is missing or older than their sources. Suites
 * that need the built packages build only then: a build deletes `dist/`
 * first, and other suites running at the same time read it.
 */
export function stalePackages(): string[] {
  return PACKAGES.filter((name) => {
    const dir = join(ROOT, 'packages', name);
    return newest(join(dir, 'src')) > newest(join(dir, 'dist'));
  });
}

/** The demo web app (demo/web → demo/dist), which `npm start` and the edge suites serve as static assets, from the built packages. */
export function buildDemo(): void {
  const vite = join(ROOT, 'node_modules/.bin/vite');
  const run = spawnSync(vite, ['build', '--config', join(ROOT, 'demo/web/vite.config.ts'), '--logLevel', 'warn'], { stdio: 'inherit', cwd: ROOT });
  if (run.status !== 0) throw new Error(`vite build of the demo failed (exit ${run.status})`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  build();
  buildDemo();
  console.log(`built ${PACKAGES.map((p) => `@baton/${p}`).join(', ')} and the demo in ${Math.round(performance.now() - started)} ms`);
}
