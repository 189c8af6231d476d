/**
 * The packages as users get them: builds them if stale, packs each publishable package
 * with `npm pack`, and installs the tarballs into a fresh project outside
 * the repository (so nothing resolves back into the workspace), with the
 * fixture consumers copied beside them.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { build, PACKAGES, stalePackages } from '../../scripts/build.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

export default function setup(project: TestProject): () => void {
  // `npm test` has built them; a lone run of this suite builds what is stale (never under other suites' feet otherwise).
  if (stalePackages().length > 0) build();
  const dir = mkdtempSync(join(tmpdir(), 'baton-consumers-'));
  const packs = join(dir, 'packs');
  mkdirSync(packs);
  const tarballs: Record<string, string> = {};
  for (const name of PACKAGES) {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', packs], { cwd: join(ROOT, 'packages', name), encoding: 'utf8' });
    tarballs[name] = join(packs, (JSON.parse(out) as Array<{ filename: string }>)[0]!.filename);
  }
  const app = join(dir, 'app');
  cpSync(new URL('./fixtures', import.meta.url).pathname, app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'baton-consumer', private: true, type: 'module' }, null, 2));
  // The workers types this repository builds against: a Worker project has its own copy.
  const workersTypes = (JSON.parse(readFileSync(join(ROOT, 'node_modules/@cloudflare/workers-types/package.json'), 'utf8')) as { version: string }).version;
  execFileSync(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      ...Object.values(tarballs),
      '@types/node@^24',
      `@cloudflare/workers-types@${workersTypes}`,
      // The TypeScript most users have today, beside the repository's own 7.x.
      'typescript@~5.9',
    ],
    { cwd: app, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  project.provide('consumer', { dir: app, tarballs, files: readdirSync(app) });
  return () => rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    consumer: { dir: string; tarballs: Record<string, string>; files: string[] };
  }
}
