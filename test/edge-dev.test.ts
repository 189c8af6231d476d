/**
 * `npm start` for real: wrangler dev serving the edge demo in workerd, and
 * the README's curl session run against it, each output matched to the
 * `# →` line under its command (`…` stands for anything).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
let server: ChildProcess | undefined;
let state: string;
let log = '';

function readmeSession(): Array<{ command: string; expected: string }> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## At the edge'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  const steps: Array<{ command: string; expected: string }> = [];
  let pending: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('# → ')) {
      steps.push({ command: pending.join('\n'), expected: line.slice(4) });
      pending = [];
    } else if (line.trim() !== '') pending.push(line);
  }
  if (pending.length > 0) steps.push({ command: pending.join('\n'), expected: '' });
  return steps;
}

function pattern(expected: string): RegExp {
  return new RegExp(
    `^${expected
      .split('…')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
}

beforeAll(async () => {
  state = mkdtempSync(join(tmpdir(), 'baton-dev-'));
  server = spawn('npm', ['start', '--', '--persist-to', state], { cwd: ROOT, detached: true, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${log}`)), 60_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Ready on http://127.0.0.1:8787')) {
        clearTimeout(timer);
        resolve();
      }
    };
    server!.stdout!.on('data', onData);
    server!.stderr!.on('data', onData);
    server!.on('exit', (code) => reject(new Error(`wrangler dev exited with ${code}:\n${log}`)));
  });
}, 70_000);

afterAll(() => {
  if (server?.pid !== undefined) process.kill(-server.pid, 'SIGTERM');
  rmSync(state, { recursive: true, force: true });
});

it('serves the README curl session under npm start', async () => {
  const steps = readmeSession();
  expect(steps.length).toBeGreaterThanOrEqual(5);
  let prelude = 'set -euo pipefail\n';
  for (const { command, expected } of steps) {
    const run = () => spawnSync('bash', ['-c', `${prelude}${command}`], { encoding: 'utf8' });
    // A job finishes a few ms after its submit returns: give each step a few tries.
    await expect
      .poll(
        () => {
          const out = run();
          return out.status === 0 ? out.stdout.trim() : `exit ${out.status}: ${out.stderr}`;
        },
        { timeout: 5_000, interval: 100 },
      )
      .toMatch(pattern(expected));
    // Plain assignments (BASE, AUTH) carry to later steps, as in one terminal;
    // a step that needs a job id fetches it itself, so a retried step is safe.
    prelude += `${command
      .split('\n')
      .filter((l) => /^[A-Z_]+=[^$(]/.test(l))
      .join('\n')}\n`;
  }
}, 60_000);

it('fires a schedule from the Durable Object alarm under wrangler dev, in real time', async () => {
  const base = 'http://127.0.0.1:8787/v1/queues/default';
  const headers = { authorization: 'Bearer dev-token-change-me', 'content-type': 'application/json' };
  const id = `every-second-${Date.now()}`;
  const put = await fetch(`${base}/schedules/${id}`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ everyMs: 1_000, job: { type: 'render', payload: { template: 'tick {name}', name: id } } }),
  });
  expect(put.status).toBe(200);
  const made = (await put.json()) as { nextAtMs: number };
  expect(made.nextAtMs).toBeGreaterThan(Date.now() - 1_000);
  // Nothing runs the object in between: only its alarm brings the occurrences.
  await expect
    .poll(
      async () => {
        const page = (await (await fetch(`${base}/jobs?type=render&state=succeeded&limit=100`, { headers })).json()) as {
          jobs: Array<{ tags: string[]; result: string }>;
        };
        return page.jobs.filter((j) => j.tags.includes(`schedule:${id}`)).length;
      },
      { timeout: 10_000, interval: 250 },
    )
    .toBeGreaterThanOrEqual(2);
  const listed = (await (await fetch(`${base}/schedules`, { headers })).json()) as { schedules: Array<{ id: string; fired: number }> };
  expect(listed.schedules.find((s) => s.id === id)?.fired).toBeGreaterThanOrEqual(2);
  const deleted = await fetch(`${base}/schedules/${id}`, { method: 'DELETE', headers });
  expect(deleted.status).toBe(200);
  expect((await fetch(`${base}/schedules/${id}/pause`, { method: 'POST', headers })).status).toBe(404);
}, 30_000);
