/**
 * Builds the publishable packages to `dist/`: ESM JavaScript, `.d.ts` and
 * their maps, with `tsc`, in dependency order (core, then edge, whose client
 * the browser package imports, then browser).
 *
 * Sources import each other with `.ts` extensions (so Node runs them as
 * they are); `rewriteRelativeImportExtensions` turns those into `.js` in the
 * JavaScript, but tsc leaves declarations as written. The same-length
 * rewrite below makes the `.d.ts` files name the `.js` modules they describe,
 * so no `.ts` specifier reaches a user's type checker, and the declaration
 * maps stay exact.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
export const PACKAGES = ['core', 'edge', 'browser'] as const;

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
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  build();
  console.log(`built ${PACKAGES.map((p) => `@baton/${p}`).join(', ')} in ${Math.round(performance.now() - started)} ms`);
}
