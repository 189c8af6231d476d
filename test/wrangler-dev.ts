/**
 * Starts the edge demo under `wrangler dev` (workerd) on a free loopback
 * port, with its own state directory, for suites that need a live edge.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { newest, stalePackages } from '../scripts/build.ts';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;

export const DEV_TOKEN = 'dev-token-change-me';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * `wrangler dev` bundles the packages as users get them, from dist/: a
 * build older than its sources would test yesterday's code. Fail loudly
 * instead (`npm test` builds first; a lone `vitest` run may not have).
 */
function assertBuilt(): void {
  const [stale] = stalePackages();
  if (stale !== undefined) throw new Error(`packages/${stale}/dist is older than its sources: run \`npm run build\` first`);
  // wrangler.toml serves the demo's built page as static assets.
  if (newest(join(ROOT, 'demo/web')) > newest(join(ROOT, 'demo/dist'))) throw new Error('demo/dist is older than demo/web: run `npm run build` first');
}

/**
 * `tokens` (token → tenant) are served besides the development token (for
 * suites that need a second tenant); without them, only `DEV_TOKEN` (`demo`).
 * `config` serves another Worker (a test fixture's wrangler.toml) with `vars`.
 */
export async function startWranglerDev(
  tokens: Readonly<Record<string, string>> = {},
  options: { readonly config?: string; readonly vars?: Readonly<Record<string, string>> } = {},
): Promise<{ url: string; token: string; stop(): void }> {
  assertBuilt();
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), 'baton-edge-'));
  const wrangler = join(ROOT, 'node_modules/.bin/wrangler');
  const child = spawn(
    wrangler,
    [
      'dev',
      ...(options.config === undefined ? [] : ['--config', options.config]),
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--persist-to',
      state,
      '--var',
      `BATON_TOKENS:${JSON.stringify({ ...tokens, [DEV_TOKEN]: 'demo' })}`,
      ...Object.entries(options.vars ?? {}).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
    ],
    // The project's own Node (node_modules/.bin first), as under npm scripts: wrangler needs Node ≥ 22.
    {
      cwd: ROOT,
      detached: true,
      env: { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}`, WRANGLER_SEND_METRICS: 'false' },
    },
  );
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${log}`)), 60_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes(`Ready on http://127.0.0.1:${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`wrangler dev exited with ${code}:\n${log}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    token: DEV_TOKEN,
    stop: () => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      rmSync(state, { recursive: true, force: true });
    },
  };
}
