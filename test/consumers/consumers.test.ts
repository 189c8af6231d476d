/**
 * The packed tarballs in fresh projects, run for real: plain JavaScript on
 * the machine's Node and on Node 24, TypeScript in four configurations with
 * two compilers, publint and attw, a Vite app in Chromium, and a Wrangler
 * project deployed dry and served by `wrangler dev`.
 */
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { delimiter, extname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright';
import { build as viteBuild } from 'vite';
import { describe, expect, inject, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../find-chromium.ts';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'node_modules/.bin');
const { dir, tarballs } = inject('consumer');

/** Runs a command; resolves with its output, or fails the test with all of it. */
async function sh(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}${e.stderr ?? ''}\n${e.message}`);
  }
}

/**
 * The Node the machine has, not the project's Node 24: the one npm itself
 * runs on, else the first `node` on the PATH outside node_modules.
 */
function machineNode(): string {
  const npms = process.env.npm_node_execpath;
  if (npms !== undefined && !npms.includes('node_modules')) return npms;
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (d.includes('node_modules')) continue;
    try {
      accessSync(join(d, 'node'), constants.X_OK);
      return join(d, 'node');
    } catch {
      // not here
    }
  }
  throw new Error('no Node outside node_modules on the PATH');
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('plain JavaScript', () => {
  const nodes: Array<[string, string]> = [
    ['the machine’s Node', machineNode()],
    ['Node 24', process.execPath],
  ];
  it.each(nodes)('imports and runs every entry point on %s', async (_label, node) => {
    const out = JSON.parse(await sh(node, ['node/index.mjs'], dir)) as Record<string, unknown>;
    expect(out).toMatchObject({
      greet: ['succeeded', 'hello Ada'],
      charge: ['succeeded', 2, 1], // retried once, the step's effect ran once
      bad: ['failed', 'not a PNG: cat.gif'],
      refused: 'job.type',
      browserExports: ['connect', 'hostScheduler', 'IdbStore', 'edgeHandler', 'toEdge'],
      client: 'function',
    });
    expect(out.conformance).toMatch(/^(\d+)\/\1$/);
    console.log(`${out.node}: conformance ${out.conformance}`);
  });
});

describe('TypeScript, no special flags, declarations checked (skipLibCheck off)', () => {
  const compilers: Array<[string, string[]]> = [
    ['tsc 7 (the repository’s)', [join(BIN, 'tsc')]],
    ['tsc 5.9 (the project’s own)', [process.execPath, join(dir, 'node_modules/typescript/bin/tsc')]],
  ];
  const projects: Array<[string, string]> = [
    ['strict, nodenext (a Node service)', 'ts-nodenext'],
    ['strict, bundler (a web app)', 'ts-bundler'],
    ['strict, bundler (the Vite app)', 'vite-app'],
    ['strict: false, es2020 lib', 'ts-loose'],
    ['a Worker with workers-types only (no @types/node)', 'worker'],
  ];
  for (const [compiler, command] of compilers) {
    it.each(projects)(`${compiler}: %s`, async (_label, project) => {
      await sh(command[0]!, [...command.slice(1), '-p', join(dir, project), '--noEmit'], dir);
    });
  }
});

describe.each(Object.entries(tarballs))('@baton/%s as packed', (_name, tarball) => {
  it('passes publint', async () => {
    const out = await sh(join(BIN, 'publint'), ['run', tarball, '--strict'], dir);
    expect(out).toContain('All good!');
  });
  it('passes Are the Types Wrong (ESM only)', async () => {
    await sh(join(BIN, 'attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], dir);
  });
  it('ships no tests, no configs and no .ts specifiers in its declarations', async () => {
    const files = (await sh('tar', ['tzf', tarball], dir)).trim().split('\n');
    expect(files.filter((f) => /\.test(-d)?\.ts$|vitest|tsconfig|wrangler/.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['package/LICENSE', 'package/README.md', 'package/package.json']));
    const declarations = await sh('tar', ['xzOf', tarball, '--wildcards', 'package/dist/*.d.ts'], dir);
    expect(declarations).not.toMatch(/from '\.{1,2}\/[^']*\.ts'/);
  });
});

describe('a Vite app with a worker', () => {
  it('builds, and in Chromium a job submitted from the page runs in the worker', async () => {
    const app = join(dir, 'vite-app');
    await viteBuild({ root: app, logLevel: 'warn', build: { outDir: join(app, 'dist'), emptyOutDir: true } });
    const assets = join(app, 'dist/assets');
    const worker = (await sh('ls', [assets], app)).split('\n').find((f) => f.startsWith('jobs.worker'));
    expect(worker).toBeDefined();
    const bytes = readFileSync(join(assets, worker!));
    console.log(`vite worker chunk: ${bytes.length} B, ${gzipSync(bytes).length} B gzip`);

    const server: Server = createServer((req, res) => {
      const path = join(app, 'dist', new URL(req.url ?? '/', 'http://x').pathname);
      const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'index.html') : path;
      if (!existsSync(file)) return void res.writeHead(404).end();
      const type = { '.html': 'text/html', '.js': 'text/javascript' }[extname(file)] ?? 'application/octet-stream';
      res.writeHead(200, { 'content-type': type });
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const browser = await chromium.launch({ executablePath: await findChromium(), args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
      await page.waitForFunction(() => document.getElementById('result')?.textContent !== 'pending', undefined, { timeout: 20_000 });
      const result = JSON.parse((await page.textContent('#result')) ?? '{}') as unknown;
      expect(result).toEqual({ state: 'succeeded', result: 'HELLO FROM THE PAGE', attempt: 1, role: 'leader' });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      server.close();
    }
  });
});

describe('a Wrangler project', () => {
  const project = join(dir, 'worker');
  // Wrangler needs Node ≥ 22: the project's own, first on the PATH.
  const env = { ...process.env, PATH: `${BIN}${delimiter}${process.env.PATH ?? ''}`, WRANGLER_SEND_METRICS: 'false' };

  it('bundles for deployment (wrangler deploy --dry-run)', async () => {
    const out = join(project, 'out');
    await sh(join(BIN, 'wrangler'), ['deploy', '--dry-run', '--outdir', out], project, env);
    const bundle = readFileSync(join(out, 'index.js'));
    console.log(`worker bundle: ${bundle.length} B, ${gzipSync(bundle).length} B gzip`);
    expect(bundle.length).toBeGreaterThan(0);
  });

  it('serves under wrangler dev and runs a job submitted over HTTP', async () => {
    const port = await freePort();
    const token = 'consumer-token-0001';
    const child = spawn(
      join(BIN, 'wrangler'),
      [
        'dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--persist-to',
        join(project, '.state'),
        '--var',
        `BATON_TOKENS:${JSON.stringify({ [token]: 'acme' })}`,
      ],
      { cwd: project, env, detached: true },
    );
    let log = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${log}`)), 60_000);
        const onData = (chunk: Buffer) => {
          log += chunk.toString();
          if (log.includes(`Ready on http://127.0.0.1:${port}`)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('exit', (code) => reject(new Error(`wrangler dev exited with ${code}:\n${log}`)));
      });
      const response = await fetch(`http://127.0.0.1:${port}/v1/queues/default/jobs?waitMs=10000`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'greet', payload: { name: 'Ada' } }),
      });
      expect(response.status).toBe(201);
      const body = (await response.json()) as { job: { state: string; result: unknown } };
      expect(body.job).toMatchObject({ state: 'succeeded', result: 'hello Ada' });
    } finally {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    }
  });
});
