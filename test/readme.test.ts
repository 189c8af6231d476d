import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, expect, it, vi } from 'vitest';

const README = new URL('../README.md', import.meta.url);
const TOUR = new URL('./.readme-tour.ts', import.meta.url);

/** The tour's ```ts blocks, in order: together they are one module. */
function tourSource(): string {
  const text = readFileSync(README, 'utf8');
  const tour = text.slice(text.indexOf('## A five-minute tour'), text.indexOf('\n## ', text.indexOf('## A five-minute tour') + 1));
  return [...tour.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
}

afterAll(() => rmSync(TOUR, { force: true }));

it('runs the README tour as written, printing what its comments say', async () => {
  const source = tourSource();
  const expected = [...source.matchAll(/console\.log\(.*\); \/\/ → (.*)$/gm)].map((m) => m[1]);
  expect(expected.length).toBeGreaterThan(5);
  writeFileSync(TOUR, source);
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' ')));
  try {
    await import(/* @vite-ignore */ `${TOUR.href}?t=${Date.now()}`);
  } finally {
    log.mockRestore();
  }
  expect(printed).toEqual(expected);
});
